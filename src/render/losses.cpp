#include "vqclip/render_ops.hpp"

namespace vqclip {

torch::Tensor spherical_distance(const torch::Tensor& views, const torch::Tensor& prompt) {
  namespace F = torch::nn::functional;
  const auto on_sphere = F::NormalizeFuncOptions().dim(1);
  const auto a = F::normalize(views, on_sphere);
  const auto b = F::normalize(prompt.reshape({1, -1}), on_sphere);
  // Chord length |a - b| = 2 sin(angle / 2), so the angle is 2 asin(chord / 2).
  return (a - b).norm(2, 1).div(2).arcsin().pow(2).mul(2);
}

torch::Tensor prompt_loss(const torch::Tensor& view_embeddings, const torch::Tensor& prompt_embedding, double weight,
                          double stop) {
  const double sign = weight > 0 ? 1.0 : (weight < 0 ? -1.0 : 0.0);
  const auto distances = spherical_distance(view_embeddings, prompt_embedding) * sign;
  // Floored at `stop` in the forward value only: the detached part carries the
  // floor, the gradient is that of the unfloored distances.
  const auto floored = distances + (distances.clamp_min(stop) - distances).detach();
  return floored.mean() * std::abs(weight);
}

}  // namespace vqclip
