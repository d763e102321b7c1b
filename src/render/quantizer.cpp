#include <sstream>

#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

void check_shapes(const torch::Tensor& z, const torch::Tensor& codebook) {
  if (z.dim() == 4 && codebook.dim() == 2 && z.size(1) == codebook.size(1)) return;
  std::ostringstream message;
  message << "quantiser: expected latents [B, C, h, w] and a codebook [N, C], found " << z.sizes() << " and "
          << codebook.sizes();
  throw InternalError(message.str());
}

// Forward: the codes as they are; backward: the gradient goes to z unchanged
// (and nothing to the codes). Exact codes in the forward value, unlike
// z + (codes - z).detach(), which can be off by a rounding step.
struct StraightThrough : torch::autograd::Function<StraightThrough> {
  static torch::Tensor forward(torch::autograd::AutogradContext* /*ctx*/, const torch::Tensor& /*z*/,
                               const torch::Tensor& codes) {
    return codes.clone(torch::MemoryFormat::Contiguous);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* /*ctx*/,
                                               torch::autograd::tensor_list grad_outputs) {
    return {grad_outputs[0], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor nearest_code_indices(const torch::Tensor& z, const torch::Tensor& codebook) {
  check_shapes(z, codebook);
  torch::NoGradGuard no_grad;
  const auto flat = z.permute({0, 2, 3, 1}).reshape({-1, z.size(1)});
  // |z|^2 + |e|^2 - 2 z.e in one matmul for the whole grid; |z|^2 is the same
  // for every code of a row, so it is left out: it cannot move the argmin and
  // adding it would only cost precision.
  const auto distances = torch::addmm(codebook.pow(2).sum(1), flat, codebook.t(), /*beta=*/1, /*alpha=*/-2);
  return distances.argmin(1).view({z.size(0), z.size(2), z.size(3)});
}

torch::Tensor quantize_straight_through(const torch::Tensor& z, const torch::Tensor& codebook) {
  const auto indices = nearest_code_indices(z, codebook);
  torch::Tensor codes;
  {
    torch::NoGradGuard no_grad;  // the codebook is frozen: no graph to it
    codes = codebook.index_select(0, indices.flatten())
                .view({z.size(0), z.size(2), z.size(3), z.size(1)})
                .permute({0, 3, 1, 2});
  }
  return StraightThrough::apply(z, codes);
}

}  // namespace vqclip
