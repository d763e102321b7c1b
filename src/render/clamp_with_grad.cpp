#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct ClampWithGrad : torch::autograd::Function<ClampWithGrad> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double lo, double hi) {
    // Only where x lies outside matters to the backward pass.
    ctx->save_for_backward({x < lo, x > hi});
    return x.clamp(lo, hi);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& below = saved[0];
    const auto& above = saved[1];
    const auto& grad = grad_outputs[0];
    // A descent step moves x by -lr * grad: below lo a positive gradient, or
    // above hi a negative one, would push x further out, so it is dropped.
    const auto outward = (below & (grad > 0)) | (above & (grad < 0));
    return {grad.masked_fill(outward, 0), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor clamp_with_grad(const torch::Tensor& x, double lo, double hi) { return ClampWithGrad::apply(x, lo, hi); }

}  // namespace vqclip
