#include <spdlog/spdlog.h>

#include <functional>

#include "batch/batch_runner.hpp"
#include "cli/batch_options.hpp"
#include "cli/cli.hpp"
#include "cli/command.hpp"
#include "cli/generate_command.hpp"
#include "cli/generate_options.hpp"
#include "cli/logging.hpp"
#include "cli/option_names.hpp"
#include "cli/option_values.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/runtime.hpp"
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
      make_info_command, make_tokenize_command, make_meta_command, make_rerun_command,
      make_score_command, make_classify_command, make_search_command, make_index_command, make_embed_command,
      make_serve_command, make_animate_command,
  };
  return factories;
}

int parse_and_run(int argc, char** argv) {
  CLI::App app{kDescription, "vqclip"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", version_line());
  app.footer(exit_code_table());
  app.require_subcommand(0, 1);

  CommonOptions common;
  add_context_options(app, common.context);
  add_display_options(app, common.display);
  GenerationParams generation;
  auto rendering_options = add_generation_options(app, generation);
  OutputParams output;
  const auto output_options = add_output_options(app, output);
  rendering_options.insert(rendering_options.end(), output_options.begin(), output_options.end());
  std::filesystem::path resume;
  const CLI::Option* resume_option = add_resume_option(app, resume);
  rendering_options.push_back(resume_option);
  BatchOptions batch;
  const auto batch_options = add_batch_options(app, batch);

  std::vector<std::unique_ptr<Command>> commands;
  for (const auto& make : command_factories()) {
    commands.push_back(make(app));
    // Global options may also follow the subcommand name.
    commands.back()->app->fallthrough();
  }

  reject_options_as_values(app, std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
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

  setup_logging(common.display.verbosity, common.display.quiet);
  tune_memory_allocator();
  spdlog::debug("{}", version_line());

  for (auto& command : commands) {
    if (!command->app->parsed()) continue;
    std::string stray = first_option_given(rendering_options);
    if (stray.empty()) stray = first_option_given(batch_options);
    if (!stray.empty()) {
      throw UsageError(stray + " is a generation option; it does not apply to '" + command->app->get_name() + "'");
    }
    return command->run(common);
  }
  if (!batch.prompts_file.empty()) {
    if (!generation.prompts.empty()) throw UsageError("--prompt and --prompts-file cannot be combined");
    if (app.get_option("--output")->count() > 0) {
      throw UsageError("--output does not apply to --prompts-file; use --out-dir and --name");
    }
    if (app.get_option("--svg")->count() > 0) {
      throw UsageError("--svg does not apply to --prompts-file: name the pictures NAME.svg with --name "
                       "(each job then writes NAME.svg and NAME.png)");
    }
    if (resume_option->count() > 0) {
      throw UsageError("--resume is for a single render; a batch resumes job by job when run again");
    }
    return run_batch(batch, common, generation, output);
  }
  if (batch.check_only) {
    if (first_option_given(batch_options) != "--check") {
      throw UsageError(first_option_given(batch_options) + " needs --prompts-file");
    }
    return check_generate(common, generation, output, resume);
  }
  if (!first_option_given(batch_options).empty()) {
    throw UsageError(first_option_given(batch_options) + " needs --prompts-file");
  }
  return run_generate(common, generation, output, resume);
}

}  // namespace

int run(int argc, char** argv) {
  try {
    return parse_and_run(argc, argv);
  } catch (const ParameterError& e) {
    // The library names fields; the user typed flags.
    throw UsageError(cli_message(e));
  }
}

}  // namespace vqclip::cli
