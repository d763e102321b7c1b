#pragma once
// --candidates N --keep K: the best K of N renders by CLIP similarity.
#include "cli/render_to_files.hpp"

namespace vqclip::cli {

// Renders output.params().candidates seeds from params.seed (drawn when
// absent), scores each completed one with job.judge (else the models' CLIP)
// and writes the best keep to ranked_path(path, rank), each record with every
// candidate's seed, score and rank. Ctrl-C stops after the candidate in
// progress; what finished is ranked and kept. Returns the best, with status
// stopped when interrupted. Throws ParameterError when there is no text
// prompt to judge by.
RenderResult render_candidates(Models& models, const GenerationParams& params, RenderOutput& output,
                               const DisplayOptions& display, const RenderJob& job);

}  // namespace vqclip::cli
