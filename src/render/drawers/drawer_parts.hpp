#pragma once
// Pieces the drawers share: checking saved parameters against a drawer's
// shapes, and the logit of a picture (the drawers that pass their values
// through a sigmoid start from a picture through its inverse).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace vqclip::drawers {

// `saved` as the drawer's parameters of `shapes` on `device`, copied; throws
// InputError naming `drawer` when the count or a shape differs.
std::vector<torch::Tensor> adopt_parameters(const std::vector<torch::Tensor>& saved,
                                            const std::vector<std::vector<int64_t>>& shapes, const c10::Device& device,
                                            const std::string& drawer);

// A leaf that requires gradients: `values` detached, float32 on `device`.
torch::Tensor leaf(const torch::Tensor& values, const c10::Device& device);

// log(x / (1 - x)) of values in [0, 1], kept finite: x is first held to
// [1e-3, 1 - 1e-3] (a start picture's pure black and white become logits of
// about -6.9 and 6.9, which a few steps can still move).
torch::Tensor logit(const torch::Tensor& values);

}  // namespace vqclip::drawers
