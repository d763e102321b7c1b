#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct ClampWithGrad : torch::autograd::Function<ClampWithGrad> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double lo, double hi) {
    ctx->saved_data["lo"] = lo;
    ctx->saved_data["hi"] = hi;
    ctx->save_for_backward({x});
    return x.clamp(lo, hi);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto x = ctx->get_saved_variables()[0];
    const auto& grad = grad_outputs[0];
    const auto outside = x - x.clamp(ctx->saved_data["lo"].toDouble(), ctx->saved_data["hi"].toDouble());
    // Pass the gradient unless a descent step along it would move x further out.
    const auto keep = (grad * outside >= 0).to(grad.scalar_type());
    return {grad * keep, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor clamp_with_grad(const torch::Tensor& x, double lo, double hi) { return ClampWithGrad::apply(x, lo, hi); }

}  // namespace vqclip
