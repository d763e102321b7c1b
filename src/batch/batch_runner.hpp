#pragma once
#include "batch/batch.hpp"
#include "cli/command.hpp"

namespace vqclip {

// Renders the jobs of this shard with one model load; skips finished jobs
// unless --overwrite; isolates failures. Every line is validated and every
// output folder checked before the models load. Returns 0, 6 (some failed) or 130.
int run_batch(const BatchOptions& options, const cli::CommonOptions& common, const GenerationParams& base_generation,
              const OutputParams& base_output);

}  // namespace vqclip
