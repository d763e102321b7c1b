#include "vqclip/render_ops.hpp"

namespace vqclip {

torch::Tensor nearest_code_indices(const torch::Tensor& z, const torch::Tensor& codebook) {
  const auto channels = z.size(1);
  const auto flat = z.permute({0, 2, 3, 1}).reshape({-1, channels});
  // |z|^2 + |e|^2 - 2 z.e: one matmul for the whole grid.
  const auto distances = flat.pow(2).sum(1, /*keepdim=*/true) + codebook.pow(2).sum(1) -
                         2 * torch::matmul(flat, codebook.t());
  return distances.argmin(1).view({z.size(0), z.size(2), z.size(3)});
}

torch::Tensor quantize_straight_through(const torch::Tensor& z, const torch::Tensor& codebook) {
  const auto indices = nearest_code_indices(z.detach(), codebook);
  const auto codes = codebook.index_select(0, indices.flatten())
                         .view({z.size(0), z.size(2), z.size(3), z.size(1)})
                         .permute({0, 3, 1, 2});
  // Forward value: the codes; gradient: identity to z.
  return z + (codes - z).detach();
}

}  // namespace vqclip
