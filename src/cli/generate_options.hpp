#pragma once
#include <CLI/CLI.hpp>

#include "vqclip/run_config.hpp"

namespace vqclip::cli {

// Adds the generation options (the bare `vqclip --prompt ...` form) to the
// root app, grouped for --help, bound to `config`. Returns the options added.
std::vector<const CLI::Option*> add_generate_options(CLI::App& app, RunConfig& config);

// Name of the first of `options` given on the command line, or "".
std::string first_option_given(const std::vector<const CLI::Option*>& options);

}  // namespace vqclip::cli
