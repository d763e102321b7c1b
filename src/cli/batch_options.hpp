#pragma once
#include <CLI/CLI.hpp>

#include "batch/batch.hpp"

namespace vqclip::cli {

// The "Batch" option group of the root app; returns the options added.
std::vector<const CLI::Option*> add_batch_options(CLI::App& app, BatchOptions& options);

}  // namespace vqclip::cli
