#include "vqclip/render_job.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "vqclip/errors.hpp"
#include "vqclip/generator.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/interrupt.hpp"
#include "vqclip/logging.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/progress.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/targets.hpp"
#include "vqclip/version.hpp"

namespace vqclip {
namespace {

int round_to_factor(int value, int factor) {
  const int rounded = static_cast<int>(std::lround(static_cast<double>(value) / factor)) * factor;
  return std::max(rounded, factor);
}

CutoutSettings cutout_settings(const RunConfig& config) {
  CutoutSettings settings;
  settings.cutn = config.cutn;
  settings.cut_pow = config.cut_pow;
  settings.method = config.cut_method == "crops" ? CutMethod::kCrops : CutMethod::kPooled;
  settings.augments = parse_augments(config.augments);
  return settings;
}

LoopSettings loop_settings(const RunConfig& config) {
  LoopSettings settings;
  settings.steps = config.steps;
  settings.cutouts = cutout_settings(config);
  settings.optimiser = config.optimiser;
  settings.lr = config.lr;
  settings.lr_drop_at = config.lr_drop_at;
  settings.lr_drop_factor = config.lr_drop_factor;
  settings.init_weight = config.init_weight;
  settings.change_prompt_every = config.change_prompt_every;
  settings.precision = config.precision;
  return settings;
}

// Text phases embedded in one batch; image and noise prompts join every phase.
std::vector<TargetPhase> build_targets(Bundle& bundle, const RunConfig& config, int width, int height) {
  std::vector<std::vector<PromptPhase>> parsed;
  for (const auto& prompt : config.prompts) parsed.push_back(parse_prompt(prompt));
  std::vector<PromptPhase> text_phases = parsed.empty() ? std::vector<PromptPhase>(1) : merge_prompt_phases(parsed);

  std::vector<std::string> texts;
  for (const auto& phase : text_phases) {
    for (const auto& spec : phase) texts.push_back(spec.text);
  }
  const auto text_embeddings = texts.empty() ? torch::Tensor() : embed_texts(bundle, texts);

  TargetPhase shared;
  for (const auto& value : config.image_prompts) {
    shared.push_back(image_target(bundle, parse_image_prompt(value), width, height, cutout_settings(config)));
  }
  for (const auto& value : config.noise_prompts) shared.push_back(noise_target(bundle, parse_noise_prompt(value)));

  std::vector<TargetPhase> phases;
  int64_t row = 0;
  for (const auto& phase : text_phases) {
    TargetPhase targets;
    for (const auto& spec : phase) {
      targets.push_back(Target{spec.text, text_embeddings[row++], spec.weight, spec.stop});
    }
    targets.insert(targets.end(), shared.begin(), shared.end());
    phases.push_back(std::move(targets));
  }
  return phases;
}

torch::Tensor initial_latent(Bundle& bundle, const RunConfig& config, int width, int height) {
  const int factor = bundle.manifest.vqgan.downsample_factor;
  if (!config.init_image.empty() || !config.init_noise.empty()) {
    torch::Tensor picture;
    if (!config.init_image.empty()) {
      picture = torch::nn::functional::interpolate(
          image_to_tensor(read_image(config.init_image)),
          torch::nn::functional::InterpolateFuncOptions()
              .size(std::vector<int64_t>{height, width})
              .mode(torch::kBilinear)
              .align_corners(false));
    } else {
      picture = noise_picture(config.init_noise, width, height);
    }
    return encode_picture(bundle, picture.clamp(0, 1));
  }
  return random_codebook_latent(bundle.codebook, height / factor, width / factor);
}

// Cosine similarity of the picture, preprocessed as `vqclip score` does, with each text prompt.
nlohmann::json prompt_similarities(Bundle& bundle, const torch::Tensor& picture, const std::vector<TargetPhase>& phases) {
  torch::NoGradGuard no_grad;
  const auto& clip = bundle.manifest.clip;
  const auto input = clip_preprocess(tensor_to_image(picture), clip.input_resolution, clip.mean, clip.std);
  const auto image = bundle.image_encoder.forward({input.to(bundle.device)}).toTensor().to(torch::kFloat)[0];
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

nlohmann::json make_record(const Bundle& bundle, const RunConfig& config, const RenderContext& context, int width,
                           int height, const RenderOutcome& outcome) {
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [file, hash] : bundle.manifest.file_hashes) hashes[file] = hash;
  return {{"version", version_string()},
          {"commit", git_commit()},
          {"bundle", {{"name", bundle.manifest.name}, {"files", hashes}}},
          {"config", to_json(config)},
          {"seed", context.seed},
          {"width", width},
          {"height", height},
          {"device", bundle.device.str()},
          {"threads", context.threads},
          {"steps_total", config.steps},
          {"steps_done", outcome.steps_done},
          {"final_loss", outcome.final_loss},
          {"seconds", outcome.seconds},
          {"interrupted", outcome.interrupted}};
}

nlohmann::json with_extra(nlohmann::json record, const RenderContext& context) {
  record.update(context.extra_record);
  return record;
}

void write_frame(const std::filesystem::path& dir, int step, const torch::Tensor& picture) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%06d.png", step);
  save_picture(dir / name, picture, nullptr, "none");
}

}  // namespace

bool record_is_complete(const nlohmann::json& record) {
  return record.is_object() && !record.value("interrupted", true) && !record.contains("non_finite_at_step") &&
         record.value("steps_done", -1) == record.value("steps_total", -2);
}

std::pair<int, int> resolve_picture_size(const RunConfig& config, const Manifest& manifest) {
  const int factor = manifest.vqgan.downsample_factor;
  const int width = config.width.value_or(manifest.default_width);
  const int height = config.height.value_or(manifest.default_height);
  const int rounded_width = round_to_factor(width, factor);
  const int rounded_height = round_to_factor(height, factor);
  if (rounded_width != width || rounded_height != height) {
    spdlog::info("size {}x{} rounded to {}x{} (multiples of the VQGAN factor {})", width, height, rounded_width,
                 rounded_height, factor);
  }
  return {rounded_width, rounded_height};
}

RenderOutcome render_job(Bundle& bundle, const RunConfig& config, const RenderContext& context) {
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(context.seed);  // before anything random is drawn
  const auto [width, height] = resolve_picture_size(config, bundle.manifest);

  auto phases = build_targets(bundle, config, width, height);
  Generator generator(bundle, loop_settings(config), initial_latent(bundle, config, width, height), phases);
  spdlog::info("rendering {}x{}, {} steps, seed {}, {} on {}", width, height, config.steps, context.seed,
               bundle.manifest.name, bundle.device.str());

  RenderOutcome outcome;
  bool non_finite = false;
  {
    Progress progress(context.progress_label, config.steps, config.log_every, stderr_is_terminal());
    for (int step = 1; step <= config.steps; ++step) {
      if (interrupt_requested()) {
        outcome.interrupted = true;
        break;
      }
      const auto result = generator.step();
      if (!result.finite) {
        non_finite = true;
        break;
      }
      outcome.final_loss = result.loss;
      outcome.steps_done = step;
      progress.update(step, result.loss);
      const bool last = step == config.steps;
      if (!config.frames_dir.empty() && step % config.frames_every == 0) {
        write_frame(config.frames_dir, step, generator.render());
      }
      if (config.save_every > 0 && step % config.save_every == 0 && !last) {
        auto record = with_extra(make_record(bundle, config, context, width, height, outcome), context);
        save_picture(config.output, generator.render(), record, config.metadata);
      }
    }
    outcome.interrupted = outcome.interrupted || interrupt_requested();
  }

  const auto picture = generator.render();
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.record = with_extra(make_record(bundle, config, context, width, height, outcome), context);
  outcome.record["similarity"] = prompt_similarities(bundle, picture, generator.phases());
  if (non_finite) outcome.record["non_finite_at_step"] = outcome.steps_done + 1;
  save_picture(config.output, picture, outcome.record, config.metadata);

  if (non_finite) {
    throw InternalError("the loss became non-finite at step " + std::to_string(outcome.steps_done + 1) +
                        "; the last finite picture was saved to " + config.output.string());
  }
  if (outcome.interrupted) {
    spdlog::warn("interrupted at step {}/{}; the picture so far was saved to {}", outcome.steps_done, config.steps,
                 config.output.string());
  } else {
    spdlog::info("saved {} ({} steps, loss {:.4f}, {:.1f} s)", config.output.string(), outcome.steps_done,
                 outcome.final_loss, outcome.seconds);
  }
  return outcome;
}

}  // namespace vqclip
