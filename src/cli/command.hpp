#pragma once
// Subcommand plumbing: each command file builds its CLI11 sub-app and runs
// itself with the options every command shares.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>

#include "cli/context_options.hpp"
#include "vqclip/models.hpp"

namespace vqclip::cli {

// What every command gets: the library's context and the display options.
struct CommonOptions {
  ContextParams context;
  DisplayOptions display;
};

class Command {
 public:
  virtual ~Command() = default;
  // Returns the process exit code; throws vqclip::Error for failures.
  virtual int run(const CommonOptions& common) = 0;
  CLI::App* app = nullptr;
};

std::unique_ptr<Command> make_info_command(CLI::App& parent);
std::unique_ptr<Command> make_tokenize_command(CLI::App& parent);
std::unique_ptr<Command> make_score_command(CLI::App& parent);
std::unique_ptr<Command> make_classify_command(CLI::App& parent);
std::unique_ptr<Command> make_search_command(CLI::App& parent);
std::unique_ptr<Command> make_index_command(CLI::App& parent);
std::unique_ptr<Command> make_embed_command(CLI::App& parent);
std::unique_ptr<Command> make_serve_command(CLI::App& parent);
std::unique_ptr<Command> make_animate_command(CLI::App& parent);
std::unique_ptr<Command> make_meta_command(CLI::App& parent);
std::unique_ptr<Command> make_rerun_command(CLI::App& parent);

// Resolves the context and loads the parts of its bundle that `parts` names.
Models load_models_for(const ContextParams& context, ModelParts parts);

// The CLIP part of the bundle `judge` (--judge), on the context's device with
// `threads` threads; nothing when `judge` is empty.
std::optional<Models> load_judge(const ContextParams& context, const std::filesystem::path& judge, int threads);

}  // namespace vqclip::cli
