#pragma once
// Best of N (docs/architecture.md, "Best of N"): how well a finished picture
// matches its prompts by a CLIP, the one it was optimised against or
// another bundle's (a judge the picture was not made to please).
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "vqclip/generation_params.hpp"
#include "vqclip/models.hpp"

namespace vqclip {

// The text prompts a picture is judged by: those of positive weight in the
// last story phase, with their weights. Empty when there are none (a render
// of image or noise prompts only, or negative weights only).
std::vector<std::pair<std::string, double>> judged_prompts(const GenerationParams& params);

// Throws ParameterError (field "candidates") when judged_prompts() is empty.
void check_judgeable(const GenerationParams& params);

// The weighted mean cosine similarity between `picture` ([1, 3, H, W] in
// [0, 1], preprocessed as `vqclip score` preprocesses a file) and each judged
// prompt. Throws as check_judgeable does.
double prompt_similarity(ClipModel& judge, const torch::Tensor& picture, const GenerationParams& params);

}  // namespace vqclip
