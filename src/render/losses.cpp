#include "vqclip/render_ops.hpp"

namespace vqclip {

torch::Tensor spherical_distance(const torch::Tensor& views, const torch::Tensor& prompt) {
  namespace F = torch::nn::functional;
  const auto a = F::normalize(views, F::NormalizeFuncOptions().dim(1));
  const auto b = F::normalize(prompt.view({1, -1}), F::NormalizeFuncOptions().dim(1));
  return (a - b).norm(2, 1).div(2).arcsin().pow(2).mul(2);
}

torch::Tensor prompt_loss(const torch::Tensor& view_embeddings, const torch::Tensor& prompt_embedding, double weight,
                          double stop) {
  const double sign = weight > 0 ? 1.0 : (weight < 0 ? -1.0 : 0.0);
  const auto distances = spherical_distance(view_embeddings, prompt_embedding) * sign;
  // Floored at `stop` in the forward value only; the gradient is the unfloored one.
  const auto floored = distances + (distances.clamp_min(stop) - distances).detach();
  return floored.mean() * std::abs(weight);
}

}  // namespace vqclip
