// The bare `vqclip --prompt ...` form: validate, check outputs, load, render.
#include <spdlog/spdlog.h>

#include <random>

#include "cli/command.hpp"
#include "render/precision.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/generate.hpp"
#include "vqclip/interrupt.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/render_job.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

// Everything that can be checked without the models, so mistakes cost nothing.
void validate(const RunConfig& config) {
  for (const auto& prompt : config.prompts) parse_prompt(prompt);
  for (const auto& value : config.image_prompts) parse_image_prompt(value);
  for (const auto& value : config.noise_prompts) parse_noise_prompt(value);
  parse_augments(config.augments);
  if (!config.init_image.empty() && !config.init_noise.empty()) {
    throw UsageError("--init-image and --init-noise cannot be combined: choose one starting point");
  }
  if (config.output.empty()) throw UsageError("--output: the path is empty");
}

void check_outputs_writable(const RunConfig& config) {
  check_writable(config.output);
  if (config.metadata == "sidecar") check_writable(sidecar_path(config.output));
  if (!config.frames_dir.empty()) check_writable(config.frames_dir / "frame_000000.png");
}

uint64_t resolve_seed(const RunConfig& config) {
  if (config.seed) return *config.seed;
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32 | entropy()) & ((uint64_t{1} << 53) - 1);
}

}  // namespace

int run_generate(const RunConfig& config, const cli::GlobalOptions& global) {
  validate(config);
  check_precision_supported(config.precision, resolve_device(global.device));
  check_outputs_writable(config);

  auto bundle = cli::load_bundle_for(global, /*need_encoder=*/!config.init_image.empty() || !config.init_noise.empty());
  RenderContext context;
  context.seed = resolve_seed(config);
  context.threads = torch::get_num_threads();
  spdlog::info("seed {}", context.seed);

  InterruptGuard interrupt_guard;
  const auto outcome = render_job(bundle, config, context);
  return outcome.interrupted ? static_cast<int>(ExitCode::kInterrupted) : 0;
}

}  // namespace vqclip
