#pragma once
// The bare `vqclip --prompt ...` form.
#include <filesystem>

#include "cli/command.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"

namespace vqclip::cli {

// Validates every group, checks the outputs can be written, loads the models,
// renders and writes the picture. Returns 0, or 130 when interrupted after
// saving. Throws vqclip::Error on failure.
// With `resume` (a state file), the render continues from it and its states
// go on being written there unless output.state_path names another file.
int run_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output,
                 const std::filesystem::path& resume = {});

// --check without a prompt file: validates and resolves everything that needs
// no model, prints the resolved groups as JSON on stdout and returns 0.
int check_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output,
                   const std::filesystem::path& resume = {});

}  // namespace vqclip::cli
