#pragma once
// The bare `vqclip --prompt ...` form.
#include "cli/command.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"

namespace vqclip::cli {

// Validates every group, checks the outputs can be written, loads the models,
// renders and writes the picture. Returns 0, or 130 when interrupted after
// saving. Throws vqclip::Error on failure.
int run_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output);

// --check without a prompt file: validates and resolves everything that needs
// no model, prints the resolved groups as JSON on stdout and returns 0.
int check_generate(const CommonOptions& common, const GenerationParams& generation, const OutputParams& output);

}  // namespace vqclip::cli
