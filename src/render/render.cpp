// render(): one picture through the loop, reported through callbacks
// (docs/architecture.md, "One render").
#include "vqclip/render.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <set>

#include "config/elapsed.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/memory_estimate.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render_loop.hpp"
#include "vqclip/runtime.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

using Clock = std::chrono::steady_clock;

// Text phases embedded in one batch with the blended prompts' texts; image,
// noise and blended prompts join every phase. Draws (image prompts' cutouts)
// come before the initial latent's, as they always have.
std::vector<TargetPhase> build_targets(ClipModel& clip, const GenerationParams& params, at::Generator& generator) {
  std::vector<std::vector<PromptPhase>> parsed;
  for (const auto& prompt : params.prompts) parsed.push_back(parse_prompt(prompt, "prompts"));
  const std::vector<PromptPhase> text_phases =
      parsed.empty() ? std::vector<PromptPhase>(1) : merge_prompt_phases(parsed);

  std::vector<std::string> texts;
  for (const auto& phase : text_phases) {
    for (const auto& spec : phase) texts.push_back(spec.text);
  }
  int64_t blend_row = static_cast<int64_t>(texts.size());
  for (const auto& blend : params.blended_prompts) {
    texts.push_back(blend.from);
    texts.push_back(blend.to);
  }
  const auto text_embeddings = texts.empty() ? torch::Tensor() : embed_texts(clip, texts);

  TargetPhase shared;
  for (const auto& prompt : params.image_prompts) {
    shared.push_back(image_target(clip, prompt, *params.width, *params.height, params.cutouts, generator));
  }
  for (const auto& prompt : params.noise_prompts) shared.push_back(noise_target(clip, prompt));
  for (const auto& blend : params.blended_prompts) {
    const auto embedding = interpolate_on_sphere(text_embeddings[blend_row], text_embeddings[blend_row + 1], blend.t);
    blend_row += 2;
    char at[32];
    std::snprintf(at, sizeof at, " @ %.3g", blend.t);
    shared.push_back(Target{blend.from + " -> " + blend.to + at, embedding, blend.weight,
                            -std::numeric_limits<double>::infinity()});
  }

  std::vector<TargetPhase> phases;
  int64_t row = 0;
  for (const auto& phase : text_phases) {
    TargetPhase targets;
    for (const auto& spec : phase) targets.push_back(Target{spec.text, text_embeddings[row++], spec.weight, spec.stop});
    targets.insert(targets.end(), shared.begin(), shared.end());
    phases.push_back(std::move(targets));
  }
  return phases;
}

// Every judging CLIP with the prompts embedded by it, in order (the bundle's
// own first, so that a render with it alone draws as it always has).
std::vector<Perceptor> build_perceptors(const std::vector<JudgingClip>& clips, const GenerationParams& params,
                                        at::Generator& generator) {
  std::vector<Perceptor> perceptors;
  for (const auto& judging : clips) {
    perceptors.push_back(Perceptor{judging.clip, judging.weight, build_targets(*judging.clip, params, generator)});
  }
  return perceptors;
}

// The perceptors with their last prompt phase only (a second pass).
std::vector<Perceptor> last_phase_only(std::vector<Perceptor> perceptors) {
  for (auto& perceptor : perceptors) perceptor.phases = {perceptor.phases.back()};
  return perceptors;
}

// `picture` [1, 3, h, w] resampled to width x height.
torch::Tensor resized(const torch::Tensor& picture, int width, int height,
                      torch::nn::functional::InterpolateFuncOptions::mode_t mode) {
  return torch::nn::functional::interpolate(picture, torch::nn::functional::InterpolateFuncOptions()
                                                         .size(std::vector<int64_t>{height, width})
                                                         .mode(mode)
                                                         .align_corners(false));
}

// The picture a run starts from, at its size: the init image, noise, or
// nothing (the drawer's own random start).
torch::Tensor start_picture(const GenerationParams& params, const c10::Device& device, at::Generator& generator) {
  const int width = *params.width, height = *params.height;
  if (params.init_image) {
    const auto shrunk = shrink_for(params.init_image->read(), width, height);  // no float copy at full size
    return resized(image_to_tensor(shrunk), width, height, torch::kBilinear).clamp(0, 1).to(device);
  }
  if (params.init_noise != InitNoise::kNone) return noise_picture(params.init_noise, width, height, generator).clamp(0, 1);
  return {};
}

// Cosine similarity of the picture, preprocessed as `vqclip score` does, with each prompt.
nlohmann::json prompt_similarities(const ClipModel& clip, const torch::Tensor& picture,
                                   const std::vector<TargetPhase>& phases) {
  torch::NoGradGuard no_grad;
  const auto& spec = clip.spec;
  const auto input = clip_preprocess(tensor_to_image(picture), spec.input_resolution, spec.mean, spec.std);
  auto encoder = clip.image_encoder;  // a handle: forward() is not const
  const auto image = encoder.forward({input.to(clip.device)}).toTensor().to(torch::kFloat)[0];
  nlohmann::json list = nlohmann::json::array();
  std::set<std::string> seen;
  for (const auto& phase : phases) {
    for (const auto& target : phase) {
      if (!seen.insert(target.label).second) continue;
      const double cosine = torch::cosine_similarity(image, target.embedding, 0).item<double>();
      list.push_back({{"prompt", target.label}, {"cosine", cosine}});
    }
  }
  return list;
}

// The picture's similarity to the prompts by the bundle's CLIP ("similarity")
// and, in an ensemble, by each other CLIP (in "perceptors").
void record_similarities(Models& models, const GenerationParams& resolved, const torch::Tensor& picture,
                         const std::vector<Perceptor>& perceptors, nlohmann::json& record) {
  auto& clip = models.require_clip();
  const bool own_judges = resolved.perceptors.clip_weight > 0;
  if (own_judges) {
    record["similarity"] = prompt_similarities(clip, picture, perceptors.front().phases);
  } else {
    // Its targets as a render would build them, from a generator of their own.
    auto generator = make_random_generator(*resolved.seed, models.device);
    auto phases = build_targets(clip, resolved, generator);
    if (resolved.hires.enabled()) phases = {phases.back()};  // as the second pass's
    record["similarity"] = prompt_similarities(clip, picture, phases);
  }
  if (!record.contains("perceptors")) return;
  const size_t first_extra = own_judges ? 1 : 0;
  for (size_t i = 0; i < record["perceptors"].size(); ++i) {
    const auto& perceptor = perceptors.at(first_extra + i);
    record["perceptors"][i]["similarity"] = prompt_similarities(*perceptor.clip, picture, perceptor.phases);
  }
}

void log_size_rounding(const GenerationParams& asked, const GenerationParams& resolved, const Manifest& manifest) {
  const int width = asked.width.value_or(manifest.default_width);
  const int height = asked.height.value_or(manifest.default_height);
  if (width == *resolved.width && height == *resolved.height) return;
  const auto unit = resolved.drawer.is_vqgan() ? std::string("the VQGAN factor") : std::string("the cell");
  spdlog::info("size {}x{} rounded to {}x{} (multiples of {} {})", width, height, *resolved.width, *resolved.height,
               unit, size_multiple(resolved.drawer, manifest));
}

// libtorch reports a failed allocation as c10::Error, or inside a TorchScript
// module as an interpreter error whose later lines hold the allocator's words.
bool is_out_of_memory(const std::exception& e) {
  const std::string text = e.what();
  return text.find("can't allocate memory") != std::string::npos ||
         text.find("out of memory") != std::string::npos;
}

// "you tried to allocate 12345 bytes", if the allocator said so.
std::string allocation_size(const std::exception& e) {
  const std::string text = e.what();
  const auto at = text.find("you tried to allocate");
  if (at == std::string::npos) return "";
  return " (" + text.substr(at, text.find('.', at) - at) + ")";
}

// The parameters of the second (hires) pass: the larger size, its steps, and
// one prompt phase, the last (a story has been told by then).
GenerationParams second_pass_params(const GenerationParams& resolved, int factor) {
  GenerationParams pass = resolved;
  const auto size = hires_size(resolved, factor);
  pass.width = size.width;
  pass.height = size.height;
  pass.steps = *resolved.hires.steps;
  pass.change_prompt_every = 0;
  pass.init_image.reset();
  pass.init_noise = InitNoise::kNone;
  pass.hires = {};
  return pass;
}

// Sets resolved.cutouts.batch to the views per CLIP batch the step will use,
// fewer than cutn only where the memory budget needs it or the caller asked.
// With a second pass, that pass's larger size decides for both: one
// micro-batch size, recorded once.
void plan_cutout_batches(Models& models, GenerationParams& resolved) {
  auto& cutouts = resolved.cutouts;
  const int asked = cutouts.batch;
  const auto largest = resolved.hires.enabled()
                           ? second_pass_params(resolved, size_multiple(resolved.drawer, models.manifest))
                           : resolved;
  if (const auto plan = plan_memory(models, largest, models.memory_budget, resolved.hires.enabled())) {
    cutouts.batch = plan->batch;
    if (asked == 0 && plan->batch < cutouts.cutn) {
      spdlog::info("cutouts in micro-batches of {} to stay within {} (one step needs about {})", plan->batch,
                   format_bytes(static_cast<double>(plan->budget_bytes)),
                   format_bytes(static_cast<double>(plan->estimate_bytes)));
    }
  }
  if (cutouts.batch == 0) cutouts.batch = cutouts.cutn;
}

// The first pass's picture upscaled to the second pass's size: where that pass starts.
torch::Tensor second_pass_picture(const torch::Tensor& picture, int width, int height, const c10::Device& device) {
  torch::NoGradGuard no_grad;
  return resized(picture.to(device), width, height, torch::kBicubic).clamp(0, 1);
}

std::vector<torch::Tensor> on_device(const std::vector<torch::Tensor>& tensors, const c10::Device& device) {
  std::vector<torch::Tensor> moved;
  for (const auto& tensor : tensors) moved.push_back(tensor.to(device));
  return moved;
}

std::vector<torch::Tensor> cpu_copies(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> copies;
  for (const auto& tensor : tensors) copies.push_back(tensor.detach().to(torch::kCPU).clone());
  return copies;
}

// Runs the passes of one render, handing every step, preview and state to the
// callbacks, which count steps over all passes (a render with a second pass
// has steps + hires_steps).
class PassRunner {
 public:
  PassRunner(Models& models, const GenerationParams& resolved, const RenderCallbacks& callbacks,
             nlohmann::json made_with, int resumed_at)
      : models_(models), resolved_(resolved), callbacks_(callbacks), made_with_(std::move(made_with)),
        total_steps_(resolved.steps + (resolved.hires.enabled() ? *resolved.hires.steps : 0)),
        resumed_at_(resumed_at) {}

  // Steps `loop` to the end of its pass, which begins after `first_step`
  // steps of the render; `second_pass` goes into the states it hands over.
  // Returns whether the pass ran to its end.
  bool run(RenderLoop& loop, int pass_steps, int first_step, const std::optional<SecondPassState>& second_pass) {
    for (int local = loop.steps_done() + 1; local <= pass_steps; ++local) {
      const auto outcome = loop.step();
      if (!outcome.finite) {
        progress_.status = RenderStatus::kNonFinite;
        return false;
      }
      const int step = first_step + local;
      progress_.steps_done = step;
      progress_.final_loss = outcome.loss;
      if (callbacks_.on_preview && callbacks_.wants_preview && callbacks_.wants_preview(step, total_steps_)) {
        progress_.seconds = seconds_since(start_);
        const auto picture = loop.render();
        const auto record = make_record(models_, resolved_, progress_);
        callbacks_.on_preview(Preview{step, total_steps_, picture, record});
      }
      if (hands_states() && callbacks_.wants_state(step, total_steps_)) hand_state(loop, second_pass);
      const StepInfo info{step, total_steps_, outcome.loss, seconds_since(start_), resumed_at_};
      if (callbacks_.on_step && !callbacks_.on_step(info) && step < total_steps_) {
        progress_.status = RenderStatus::kStopped;
        return false;
      }
    }
    return true;
  }

  // The state where the render ends (completed or stopped), if the callbacks take states.
  void hand_final_state(RenderLoop& loop, const std::optional<SecondPassState>& second_pass) {
    if (hands_states() && progress_.status != RenderStatus::kNonFinite) hand_state(loop, second_pass);
  }

  RunProgress& progress() { return progress_; }
  double seconds() const { return seconds_since(start_); }

 private:
  bool hands_states() const { return callbacks_.on_state && callbacks_.wants_state; }
  void hand_state(RenderLoop& loop, const std::optional<SecondPassState>& second_pass) {
    callbacks_.on_state(RenderState{made_with_, loop.state(), second_pass});
  }

  Models& models_;
  const GenerationParams& resolved_;
  const RenderCallbacks& callbacks_;
  nlohmann::json made_with_;
  int total_steps_;
  int resumed_at_;
  Clock::time_point start_ = Clock::now();
  RunProgress progress_;
};

// One pass's entry in the record's "passes".
nlohmann::json pass_entry(int pass, const GenerationParams& params, int steps_done, double final_loss, double seconds) {
  return {{"pass", pass},           {"width", *params.width},       {"height", *params.height},
          {"steps", params.steps},  {"steps_done", steps_done},     {"final_loss", final_loss},
          {"seconds", seconds}};
}

// render() without the translation of allocation failures.
RenderResult render_unguarded(Models& models, const GenerationParams& params, const RenderCallbacks& callbacks,
                              const RenderState* resume) {
  const auto start = Clock::now();
  models.require_clip();  // the record's similarity is its, even when it does not judge
  RenderResult result;
  result.params = resolve(resume ? adopt_from_state(params, *resume) : params, models.manifest);
  auto& resolved = result.params;
  load_perceptors(models, resolved.perceptors);
  const auto clips = judging_clips(models, resolved.perceptors);
  log_size_rounding(params, resolved, models.manifest);
  plan_cutout_batches(models, resolved);
  const auto made_with = render_made_with(make_record(models, resolved, RunProgress{}));
  if (resume) check_resumable(*resume, made_with);
  auto generator = make_random_generator(*resolved.seed, models.device);

  // Targets and the initial latent are built as in the first run, so that
  // the generator's draws and the latent's shape are those the state continues.
  const auto perceptors = build_perceptors(clips, resolved, generator);
  const bool resumes_second_pass = resume && resume->second_pass;
  if (resumes_second_pass && !resolved.hires.enabled()) {
    throw InputError("state file " + resume->source + ": taken in a second pass, but its render has none");
  }
  const int resumed_at = resume ? resume->steps_done() : 0;
  PassRunner runner(models, resolved, callbacks, made_with, resumed_at);
  auto& progress = runner.progress();
  if (resume) {
    progress.steps_done = resumed_at;
    progress.final_loss = resume->loop.last_loss;
    spdlog::info("resuming from {} at step {}", resume->source, resumed_at);
  }
  spdlog::info("rendering {}x{}, {} steps, seed {}, {} drawer, {} on {}{}", *resolved.width, *resolved.height,
               resolved.steps, *resolved.seed, name_of(resolved.drawer.resolved_kind()), models.manifest.name,
               models.device.str(),
               resolved.perceptors.ensemble() ? fmt::format(", judged by {} CLIPs", clips.size()) : std::string());

  torch::Tensor picture;
  std::string svg;
  nlohmann::json passes = nlohmann::json::array();
  std::optional<SecondPassState> second_pass;
  std::vector<Perceptor> final_perceptors = perceptors;
  bool first_pass_finished = resumes_second_pass;
  if (!resumes_second_pass) {
    auto drawer = make_drawer(models, resolved.drawer, *resolved.width, *resolved.height,
                              DrawerStart{start_picture(resolved, models.device, generator), {}}, generator);
    RenderLoop loop(perceptors, std::move(drawer), LoopSettings::from(resolved, models.precision), generator);
    if (resume) loop.restore(resume->loop);
    first_pass_finished = runner.run(loop, resolved.steps, 0, second_pass);
    picture = loop.render();
    svg = loop.drawer().svg();
    passes.push_back(pass_entry(1, resolved, progress.steps_done, progress.final_loss, runner.seconds()));
    if (!first_pass_finished || !resolved.hires.enabled()) runner.hand_final_state(loop, second_pass);
  } else {
    second_pass = resume->second_pass;
    passes.push_back(second_pass->first_pass);
  }

  if (first_pass_finished && resolved.hires.enabled()) {
    const auto pass = second_pass_params(resolved, size_multiple(resolved.drawer, models.manifest));
    spdlog::info("second pass: {}x{}, {} steps from the first picture upscaled", *pass.width, *pass.height, pass.steps);
    DrawerStart start;
    if (second_pass) {
      start.parameters = on_device(second_pass->start, models.device);
    } else {
      start.picture = second_pass_picture(picture, *pass.width, *pass.height, models.device);
    }
    auto drawer = make_drawer(models, pass.drawer, *pass.width, *pass.height, start, generator);
    if (!second_pass) second_pass = SecondPassState{cpu_copies(drawer->parameters()), passes.back()};
    final_perceptors = last_phase_only(perceptors);
    const double pass_start = runner.seconds();
    RenderLoop loop(final_perceptors, std::move(drawer), LoopSettings::from(pass, models.precision), generator);
    if (resumes_second_pass) loop.restore(resume->loop);
    runner.run(loop, pass.steps, resolved.steps, second_pass);
    picture = loop.render();
    svg = loop.drawer().svg();
    passes.push_back(pass_entry(2, pass, std::max(0, progress.steps_done - resolved.steps), progress.final_loss,
                                runner.seconds() - pass_start));
    runner.hand_final_state(loop, second_pass);
  }

  result.picture = picture.to(torch::kCPU);
  result.svg = std::move(svg);
  progress.seconds = seconds_since(start);
  result.steps_done = progress.steps_done;
  result.final_loss = progress.final_loss;
  result.seconds = progress.seconds;
  result.status = progress.status;
  result.record = make_record(models, resolved, progress);
  if (resume) result.record["resumed_from_step"] = resumed_at;
  if (resolved.hires.enabled()) result.record["passes"] = passes;
  record_similarities(models, resolved, result.picture, final_perceptors, result.record);
  return result;
}

}  // namespace

void score_picture_into_record(Models& models, const GenerationParams& resolved, const torch::Tensor& picture,
                               nlohmann::json& record) {
  // The targets as the render built them: from a generator of their own seeded alike.
  auto generator = make_random_generator(*resolved.seed, models.device);
  auto perceptors = build_perceptors(judging_clips(models, resolved.perceptors), resolved, generator);
  if (resolved.hires.enabled()) perceptors = last_phase_only(std::move(perceptors));
  record_similarities(models, resolved, picture, perceptors, record);
}

RenderResult render(Models& models, const GenerationParams& params, const RenderCallbacks& callbacks,
                    const RenderState* resume) {
  try {
    return render_unguarded(models, params, callbacks, resume);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    if (!is_out_of_memory(e)) throw;
    throw InternalError("memory ran out while rendering" + allocation_size(e) +
                        ": a smaller size or fewer cutouts need less");
  }
}

}  // namespace vqclip
