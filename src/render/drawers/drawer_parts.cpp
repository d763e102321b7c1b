#include "render/drawers/drawer_parts.hpp"

#include "vqclip/errors.hpp"

namespace vqclip::drawers {

std::vector<torch::Tensor> adopt_parameters(const std::vector<torch::Tensor>& saved,
                                            const std::vector<std::vector<int64_t>>& shapes, const c10::Device& device,
                                            const std::string& drawer) {
  if (saved.size() != shapes.size()) {
    throw InputError("the saved " + drawer + " drawer has " + std::to_string(saved.size()) + " parameter tensors, " +
                     "this render's has " + std::to_string(shapes.size()));
  }
  std::vector<torch::Tensor> adopted;
  for (size_t i = 0; i < saved.size(); ++i) {
    if (!saved[i].defined() || saved[i].sizes() != c10::IntArrayRef(shapes[i])) {
      throw InputError("the saved " + drawer + " drawer's parameter " + std::to_string(i) +
                       " does not fit this render's size and settings");
    }
    adopted.push_back(leaf(saved[i], device));
  }
  return adopted;
}

torch::Tensor leaf(const torch::Tensor& values, const c10::Device& device) {
  return values.detach().to(device, torch::kFloat).clone().requires_grad_(true);
}

torch::Tensor logit(const torch::Tensor& values) {
  const auto held = values.clamp(1e-3, 1 - 1e-3);
  return torch::log(held / (1 - held));
}

}  // namespace vqclip::drawers
