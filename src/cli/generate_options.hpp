#pragma once
// The generation and output options of the bare `vqclip --prompt ...` form,
// bound to the library's parameter groups. A prompt file's per-line options
// are parsed by the same declarations.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <vector>

#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"

namespace vqclip::cli {

// Adds the options, grouped for --help, to `app`. Returns the options added.
std::vector<const CLI::Option*> add_generation_options(CLI::App& app, GenerationParams& params);
std::vector<const CLI::Option*> add_output_options(CLI::App& app, OutputParams& params);
// --resume FILE of a single render.
const CLI::Option* add_resume_option(CLI::App& app, std::filesystem::path& resume);

// Name of the first of `options` given on the command line, or "".
std::string first_option_given(const std::vector<const CLI::Option*>& options);

}  // namespace vqclip::cli
