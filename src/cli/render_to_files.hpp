#pragma once
// One render the command-line way: progress on stderr (or JSON on stdout),
// Ctrl-C stops it after the current step, frames and periodic saves through
// render()'s callbacks, and the picture written atomically at the end, also
// when the run was stopped or its loss became non-finite; states to
// output's state file when it has one.
#include <string>

#include <nlohmann/json.hpp>

#include "cli/context_options.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_output.hpp"

namespace vqclip::cli {

struct RenderJob {
  std::string progress_label = "step";
  nlohmann::json job = nullptr;           // a batch job's index, for JSON progress lines
  nlohmann::json extra_record = nullptr;  // merged into the final record (a batch job's key)
  int stop_after = 0;                     // stop after this step, as the run being repeated did; 0 = never
  ClipModel* judge = nullptr;             // --judge's CLIP for a best-of-N (else the rendering bundle's)
  std::string judge_name;
};

// With output.params().candidates > 1, a best-of-N (render_candidates.hpp).
// Returns the result after writing it. Throws InternalError after writing the
// last finite picture when the loss became non-finite, and what render() and
// the output throw. Needs an InterruptGuard installed by the caller.
RenderResult render_to_files(Models& models, const GenerationParams& params, RenderOutput& output,
                             const DisplayOptions& display, const RenderJob& job,
                             const RenderState* resume = nullptr);

}  // namespace vqclip::cli
