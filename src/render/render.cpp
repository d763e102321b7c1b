// render(): one picture through the loop, reported through callbacks
// (docs/architecture.md, "One render").
#include "vqclip/render.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

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

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Text phases embedded in one batch; image and noise prompts join every phase.
// Draws (image prompts' cutouts) come before the initial latent's, as they always have.
std::vector<TargetPhase> build_targets(ClipModel& clip, const GenerationParams& params, at::Generator& generator) {
  std::vector<std::vector<PromptPhase>> parsed;
  for (const auto& prompt : params.prompts) parsed.push_back(parse_prompt(prompt, "prompts"));
  const std::vector<PromptPhase> text_phases =
      parsed.empty() ? std::vector<PromptPhase>(1) : merge_prompt_phases(parsed);

  std::vector<std::string> texts;
  for (const auto& phase : text_phases) {
    for (const auto& spec : phase) texts.push_back(spec.text);
  }
  const auto text_embeddings = texts.empty() ? torch::Tensor() : embed_texts(clip, texts);

  TargetPhase shared;
  for (const auto& prompt : params.image_prompts) {
    shared.push_back(image_target(clip, prompt, *params.width, *params.height, params.cutouts, generator));
  }
  for (const auto& prompt : params.noise_prompts) shared.push_back(noise_target(clip, prompt));

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

torch::Tensor initial_latent(VqganModel& vqgan, const GenerationParams& params, at::Generator& generator) {
  const int width = *params.width, height = *params.height;
  if (params.init_image) {
    const auto shrunk = shrink_for(params.init_image->read(), width, height);  // no float copy at full size
    const auto picture = torch::nn::functional::interpolate(image_to_tensor(shrunk),
                                                            torch::nn::functional::InterpolateFuncOptions()
                                                                .size(std::vector<int64_t>{height, width})
                                                                .mode(torch::kBilinear)
                                                                .align_corners(false));
    return encode_picture(vqgan, picture.clamp(0, 1));
  }
  if (params.init_noise != InitNoise::kNone) {
    return encode_picture(vqgan, noise_picture(params.init_noise, width, height, generator).clamp(0, 1));
  }
  const int factor = vqgan.spec.downsample_factor;
  return random_codebook_latent(vqgan.codebook, height / factor, width / factor, generator);
}

// Cosine similarity of the picture, preprocessed as `vqclip score` does, with each prompt.
nlohmann::json prompt_similarities(ClipModel& clip, const torch::Tensor& picture,
                                   const std::vector<TargetPhase>& phases) {
  torch::NoGradGuard no_grad;
  const auto& spec = clip.spec;
  const auto input = clip_preprocess(tensor_to_image(picture), spec.input_resolution, spec.mean, spec.std);
  const auto image = clip.image_encoder.forward({input.to(clip.device)}).toTensor().to(torch::kFloat)[0];
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

void log_size_rounding(const GenerationParams& asked, const GenerationParams& resolved, const Manifest& manifest) {
  const int width = asked.width.value_or(manifest.default_width);
  const int height = asked.height.value_or(manifest.default_height);
  if (width == *resolved.width && height == *resolved.height) return;
  spdlog::info("size {}x{} rounded to {}x{} (multiples of the VQGAN factor {})", width, height, *resolved.width,
               *resolved.height, manifest.vqgan.downsample_factor);
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

// Sets resolved.cutouts.batch to the views per CLIP batch the step will use,
// fewer than cutn only where the memory budget needs it or the caller asked.
void plan_cutout_batches(Models& models, GenerationParams& resolved) {
  auto& cutouts = resolved.cutouts;
  const int asked = cutouts.batch;
  if (const auto plan = plan_memory(models, resolved, models.memory_budget)) {
    cutouts.batch = plan->batch;
    if (asked == 0 && plan->batch < cutouts.cutn) {
      spdlog::info("cutouts in micro-batches of {} to stay within {} (one step needs about {})", plan->batch,
                   format_bytes(static_cast<double>(plan->budget_bytes)),
                   format_bytes(static_cast<double>(plan->estimate_bytes)));
    }
  }
  if (cutouts.batch == 0) cutouts.batch = cutouts.cutn;
}

// render() without the translation of allocation failures.
RenderResult render_unguarded(Models& models, const GenerationParams& params, const RenderCallbacks& callbacks,
                              const RenderState* resume) {
  const auto start = Clock::now();
  auto& clip = models.require_clip();
  auto& vqgan = models.require_vqgan();
  RenderResult result;
  result.params = resolve(resume ? adopt_from_state(params, *resume) : params, models.manifest);
  auto& resolved = result.params;
  log_size_rounding(params, resolved, models.manifest);
  plan_cutout_batches(models, resolved);
  const auto made_with = render_made_with(make_record(models, resolved, RunProgress{}));
  if (resume) check_resumable(*resume, made_with);
  auto generator = make_random_generator(*resolved.seed, models.device);

  // Targets and the initial latent are built as in the first run, so that
  // the generator's draws and the latent's shape are those the state continues.
  auto phases = build_targets(clip, resolved, generator);
  RenderLoop loop(clip, vqgan, LoopSettings::from(resolved, models.precision), initial_latent(vqgan, resolved, generator),
                  phases, generator);
  RunProgress progress;
  if (resume) {
    loop.restore(resume->loop);
    progress.steps_done = loop.steps_done();
    progress.final_loss = resume->loop.last_loss;
    spdlog::info("resuming from {} at step {}", resume->source, loop.steps_done());
  }
  spdlog::info("rendering {}x{}, {} steps, seed {}, {} on {}", *resolved.width, *resolved.height, resolved.steps,
               *resolved.seed, models.manifest.name, models.device.str());
  const bool hands_states = callbacks.on_state && callbacks.wants_state;
  const auto hand_state = [&] { callbacks.on_state(RenderState{made_with, loop.state()}); };

  const int resumed_at = loop.steps_done();
  const auto loop_start = Clock::now();
  for (int step = resumed_at + 1; step <= resolved.steps; ++step) {
    const auto outcome = loop.step();
    if (!outcome.finite) {
      progress.status = RenderStatus::kNonFinite;
      break;
    }
    progress.steps_done = step;
    progress.final_loss = outcome.loss;
    if (callbacks.on_preview && callbacks.wants_preview && callbacks.wants_preview(step, resolved.steps)) {
      progress.seconds = seconds_since(start);
      const auto picture = loop.render();
      const auto record = make_record(models, resolved, progress);
      callbacks.on_preview(Preview{step, resolved.steps, picture, record});
    }
    if (hands_states && callbacks.wants_state(step, resolved.steps)) hand_state();
    const StepInfo info{step, resolved.steps, outcome.loss, seconds_since(loop_start), resumed_at};
    if (callbacks.on_step && !callbacks.on_step(info) && step < resolved.steps) {
      progress.status = RenderStatus::kStopped;
      break;
    }
  }

  if (hands_states && progress.status != RenderStatus::kNonFinite) hand_state();
  result.picture = loop.render().to(torch::kCPU);
  progress.seconds = seconds_since(start);
  result.steps_done = progress.steps_done;
  result.final_loss = progress.final_loss;
  result.seconds = progress.seconds;
  result.status = progress.status;
  result.record = make_record(models, resolved, progress);
  if (resume) result.record["resumed_from_step"] = resumed_at;
  result.record["similarity"] = prompt_similarities(clip, result.picture, loop.phases());
  return result;
}

}  // namespace

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
