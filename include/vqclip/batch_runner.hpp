#pragma once
#include "vqclip/batch.hpp"

namespace vqclip {
namespace cli {
struct GlobalOptions;
}

// Renders the jobs of this shard with one bundle load; skips finished jobs
// unless --overwrite; isolates failures. Returns 0, 6 (some failed) or 130.
int run_batch(const BatchOptions& options, const RunConfig& base, const cli::GlobalOptions& global);

}  // namespace vqclip
