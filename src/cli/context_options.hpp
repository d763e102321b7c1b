#pragma once
// Options every command accepts (before or after a subcommand's name): the
// library's context, and how the command line itself reports.
#include <CLI/CLI.hpp>

#include <array>
#include <vector>

#include "vqclip/context_params.hpp"
#include "vqclip/enum_names.hpp"

namespace vqclip::cli {

// How progress is shown: a live line on a terminal and periodic log lines
// otherwise (auto), either one forced, or one JSON object a line on stdout
// for programs that drive vqclip.
enum class ProgressFormat { kAuto, kTty, kPlain, kJson };

}  // namespace vqclip::cli

namespace vqclip {
template <>
struct EnumTable<cli::ProgressFormat> {
  static constexpr std::array<EnumName<cli::ProgressFormat>, 4> names{{{cli::ProgressFormat::kAuto, "auto"},
                                                                       {cli::ProgressFormat::kTty, "tty"},
                                                                       {cli::ProgressFormat::kPlain, "plain"},
                                                                       {cli::ProgressFormat::kJson, "json"}}};
};
}  // namespace vqclip

namespace vqclip::cli {

struct DisplayOptions {
  int verbosity = 0;
  bool quiet = false;
  ProgressFormat progress = ProgressFormat::kAuto;
  int log_every = 0;  // plain progress: a line every N steps; 0 = every 10%
};

// The "General" group. Returns the context options (a batch's lines may not set them).
std::vector<const CLI::Option*> add_context_options(CLI::App& app, ContextParams& context);
void add_display_options(CLI::App& app, DisplayOptions& display);

}  // namespace vqclip::cli
