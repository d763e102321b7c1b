#include <spdlog/spdlog.h>

#include <functional>

#include "cli/batch_options.hpp"
#include "cli/command.hpp"
#include "cli/generate_options.hpp"
#include "vqclip/batch_runner.hpp"
#include "vqclip/cli.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/generate.hpp"
#include "vqclip/logging.hpp"
#include "vqclip/version.hpp"

namespace vqclip::cli {
namespace {

constexpr const char* kDescription =
    "vqclip: text-to-image with VQGAN+CLIP. The bare form renders a picture:\n"
    "  vqclip --prompt \"a red circle on a blue background\" --steps 300 -o out.png\n"
    "Subcommands use the same CLIP encoders for scoring, classification and search.";

std::string version_line() {
  return std::string("vqclip ") + version_string() + " (commit " + git_commit() + ", libtorch " +
         TORCH_VERSION + ")";
}

void add_global_options(CLI::App& app, GlobalOptions& g) {
  const char* group = "General";
  app.add_option("--models", g.models, "Model bundle directory (default: $VQCLIP_MODELS, else the bundled tiny model)")
      ->group(group)->type_name("DIR");
  app.add_option("--device", g.device, "auto, cpu, cuda or cuda:N")->group(group);
  app.add_flag("--no-verify", g.no_verify, "Skip the sha256 check of the bundle files")->group(group);
  app.add_option("--threads", g.threads, "CPU threads for libtorch; 0 = auto (the cores; 1 for small models)")
      ->group(group)->check(CLI::Range(0, 4096));
  app.add_flag("-v,--verbose", g.verbosity, "More log detail (-vv for trace)")->group(group);
  app.add_flag("-q,--quiet", g.quiet, "Errors only")->group(group);
}

// CLI11's messages name the option; make them one line with a hint.
std::string describe(const CLI::ParseError& e) {
  std::string message = e.what();
  for (auto& ch : message) {
    if (ch == '\n') ch = ' ';
  }
  return message + " (see vqclip --help)";
}

using CommandFactory = std::function<std::unique_ptr<Command>(CLI::App&)>;

const std::vector<CommandFactory>& command_factories() {
  static const std::vector<CommandFactory> factories{
      make_info_command, make_tokenize_command, make_meta_command,
      make_score_command, make_classify_command, make_search_command,
  };
  return factories;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{kDescription, "vqclip"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", version_line());
  app.footer(exit_code_table());
  app.require_subcommand(0, 1);

  GlobalOptions global;
  add_global_options(app, global);
  RunConfig config;
  auto generation_options = add_generate_options(app, config);
  BatchOptions batch;
  const auto batch_options = add_batch_options(app, batch);

  std::vector<std::unique_ptr<Command>> commands;
  for (const auto& make : command_factories()) {
    commands.push_back(make(app));
    // Global options may also follow the subcommand name.
    commands.back()->app->fallthrough();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    throw UsageError(describe(e));
  }

  setup_logging(global.verbosity, global.quiet);
  tune_memory_allocator();
  const int threads = configure_threads(global.threads);
  spdlog::debug("{}; {} intra-op thread(s)", version_line(), threads);

  for (auto& command : commands) {
    if (!command->app->parsed()) continue;
    std::string stray = first_option_given(generation_options);
    if (stray.empty()) stray = first_option_given(batch_options);
    if (!stray.empty()) {
      throw UsageError(stray + " is a generation option; it does not apply to '" + command->app->get_name() + "'");
    }
    return command->run(global);
  }
  if (!batch.prompts_file.empty()) {
    if (!config.prompts.empty()) throw UsageError("--prompt and --prompts-file cannot be combined");
    if (app.get_option("--output")->count() > 0) {
      throw UsageError("--output does not apply to --prompts-file; use --out-dir and --name");
    }
    return run_batch(batch, config, global);
  }
  if (!first_option_given(batch_options).empty()) {
    throw UsageError(first_option_given(batch_options) + " needs --prompts-file");
  }
  if (config.prompts.empty() && config.image_prompts.empty() && config.noise_prompts.empty()) {
    throw UsageError("nothing to render: give --prompt TEXT (or --image-prompt / --noise-prompt); see vqclip --help");
  }
  return run_generate(config, global);
}

}  // namespace vqclip::cli
