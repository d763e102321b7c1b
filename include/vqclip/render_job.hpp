#pragma once
// One picture from a RunConfig with an already loaded bundle: prompts ->
// targets, initial latent, the loop with progress, periodic saves, the final
// picture and its record. Shared by the single-picture command and batches.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "vqclip/bundle.hpp"
#include "vqclip/run_config.hpp"

namespace vqclip {

struct RenderOutcome {
  int steps_done = 0;
  double final_loss = 0;
  bool interrupted = false;  // a signal stopped the run; the picture was saved
  double seconds = 0;
  nlohmann::json record;     // what was written as metadata
};

struct RenderContext {
  uint64_t seed = 0;         // resolved seed (never "random" here)
  int threads = 1;           // recorded in the metadata
  std::string progress_label = "step";
  nlohmann::json extra_record = nlohmann::json::object();  // merged into the record (e.g. a batch job's key)
};

// True if a record describes a finished run: all steps done, not interrupted,
// no non-finite loss.
bool record_is_complete(const nlohmann::json& record);

// Throws UsageError/InputError/OutputError/InternalError (non-finite loss,
// after saving the last finite picture).
RenderOutcome render_job(Bundle& bundle, const RunConfig& config, const RenderContext& context);

// Size rounded to the VQGAN factor (at least one latent cell), with a notice.
std::pair<int, int> resolve_picture_size(const RunConfig& config, const Manifest& manifest);

}  // namespace vqclip
