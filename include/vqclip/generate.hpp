#pragma once
// The generation command: one picture from a RunConfig.
#include "vqclip/run_config.hpp"

namespace vqclip {
namespace cli {
struct GlobalOptions;
}

// Renders the picture described by `config`; returns the exit code
// (0, or 130 when interrupted after saving). Throws vqclip::Error on failure.
int run_generate(const RunConfig& config, const cli::GlobalOptions& global);

}  // namespace vqclip
