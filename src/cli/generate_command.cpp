// The bare `vqclip --prompt ...` form: validate, check outputs, load, render.
#include "cli/generate_command.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/interrupt.hpp"
#include "cli/render_to_files.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_output.hpp"

namespace vqclip::cli {
namespace {

struct Prepared {
  ResolvedContext context;
  GenerationParams generation;  // resolved: seed and size
};

// Everything that can be checked without the models, so mistakes cost nothing.
Prepared prepare(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output) {
  validate(generation);
  validate(output);
  Prepared prepared;
  prepared.context = resolve(common.context);
  prepared.generation = resolve(generation, read_manifest(prepared.context.bundle_dir));
  return prepared;
}

}  // namespace

int run_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output_params) {
  const auto prepared = prepare(common, generation, output_params);
  RenderOutput output(output_params);
  output.check_writable();

  auto models = load_models(prepared.context, ModelParts::for_render(generation.starts_from_picture()));
  spdlog::info("seed {}", *prepared.generation.seed);
  spdlog::debug("context {}", to_json(prepared.context).dump());
  spdlog::debug("generation {}", to_json(prepared.generation).dump());

  // The seed as resolved (it was logged); the size as given, so render() says how it rounds it.
  auto params = generation;
  params.seed = prepared.generation.seed;
  InterruptGuard interrupt_guard;
  const auto result = render_to_files(models, params, output, common.display, RenderJob{});
  const bool interrupted = result.status == RenderStatus::kStopped || interrupt_requested();
  return interrupted ? static_cast<int>(ExitCode::kInterrupted) : 0;
}

int check_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output) {
  const auto prepared = prepare(common, generation, output);
  auto resolved = to_json(prepared.generation);
  if (!generation.seed) resolved["seed"] = nullptr;  // drawn afresh by the run itself
  auto output_json = to_json(output);
  output_json["path"] = output.path.string();
  const nlohmann::json groups{{"context", to_json(prepared.context)}, {"generation", resolved}, {"output", output_json}};
  std::cout << groups.dump(2) << "\n";
  return 0;
}

}  // namespace vqclip::cli
