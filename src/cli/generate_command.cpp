// The bare `vqclip --prompt ...` form: validate, check outputs, load, render.
#include "cli/generate_command.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "cli/interrupt.hpp"
#include "cli/render_to_files.hpp"
#include "vqclip/candidates.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_output.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip::cli {
namespace {

struct Prepared {
  ResolvedContext context;
  GenerationParams asked;       // as given, with what a resumed state settles
  GenerationParams generation;  // resolved: seed and size
  OutputParams output;          // states go to the resumed file unless --state says otherwise
  std::optional<RenderState> resume;
};

// Everything that can be checked without the models, so mistakes cost nothing.
Prepared prepare(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output,
                 const std::filesystem::path& resume) {
  Prepared prepared;
  prepared.output = output;
  route_svg_output(prepared.output);
  validate(generation);
  validate(prepared.output);
  if (!prepared.output.svg_path.empty() && generation.drawer.resolved_kind() != DrawerKind::kVector) {
    throw ParameterError("svg", "needs {drawer} vector: only the vector drawer draws an SVG", {"drawer"});
  }
  prepared.asked = generation;
  if (output.candidates > 1) {
    check_judgeable(generation);
    if (!resume.empty()) throw UsageError("--resume continues one render; it does not apply to --candidates");
  }
  if (!resume.empty()) {
    prepared.resume = load_render_state(resume);
    prepared.asked = adopt_from_state(generation, *prepared.resume);
    if (prepared.output.state_path.empty()) prepared.output.state_path = resume;
  }
  prepared.context = resolve(common.context);
  prepared.generation = resolve(prepared.asked, read_manifest(prepared.context.bundle_dir));
  return prepared;
}

}  // namespace

int run_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output_params,
                 const std::filesystem::path& resume) {
  const auto prepared = prepare(common, generation, output_params, resume);
  RenderOutput output(prepared.output);
  output.check_writable();

  auto judge = load_judge(common.context, prepared.output.judge, prepared.context.threads);
  auto models = load_models(prepared.context, ModelParts::for_render(prepared.generation.needs_vqgan(),
                                                                                prepared.generation.needs_encoder()));
  spdlog::info("seed {}", *prepared.generation.seed);
  spdlog::debug("context {}", to_json(prepared.context).dump());
  spdlog::debug("generation {}", to_json(prepared.generation).dump());

  // The seed as resolved (it was logged); the size as given, so render() says how it rounds it.
  auto params = prepared.asked;
  params.seed = prepared.generation.seed;
  RenderJob job;
  if (judge) {
    job.judge = &judge->require_clip();
    job.judge_name = judge->manifest.name;
  }
  InterruptGuard interrupt_guard;
  const auto result =
      render_to_files(models, params, output, common.display, job, prepared.resume ? &*prepared.resume : nullptr);
  const bool interrupted = result.status == RenderStatus::kStopped || interrupt_requested();
  return interrupted ? static_cast<int>(ExitCode::kInterrupted) : 0;
}

int check_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output,
                   const std::filesystem::path& resume) {
  const auto prepared = prepare(common, generation, output, resume);
  auto resolved = to_json(prepared.generation);
  if (!prepared.asked.seed) resolved["seed"] = nullptr;  // drawn afresh by the run itself
  auto output_json = to_json(prepared.output);
  output_json["path"] = prepared.output.path.string();
  if (!prepared.output.state_path.empty()) output_json["state"] = prepared.output.state_path.string();
  if (prepared.resume) output_json["resume_at_step"] = prepared.resume->steps_done();
  const nlohmann::json groups{{"context", to_json(prepared.context)}, {"generation", resolved}, {"output", output_json}};
  std::cout << groups.dump(2) << "\n";
  return 0;
}

}  // namespace vqclip::cli
