// fuse_swish: which graphs it rewrites, and that the rewritten module computes
// the same values and input gradients.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "model/graph_rewrites.hpp"

namespace {

torch::jit::Module module_from(const std::string& source) {
  torch::jit::Module module("Swishes");
  module.define(source);
  return module;
}

// Output and input gradient of the module's forward on x.
std::pair<torch::Tensor, torch::Tensor> value_and_gradient(torch::jit::Module& module, const torch::Tensor& x) {
  auto input = x.detach().clone().requires_grad_(true);
  auto output = module.forward({input}).toTensor();
  (output * torch::linspace(-1, 1, output.numel()).view_as(output)).sum().backward();
  return {output.detach(), input.grad()};
}

// Swish in a helper method and in reversed order, and QuickGELU.
const char* kThreeForms = R"(
def swish(self, x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)
def forward(self, x: Tensor) -> Tensor:
    y = self.swish(x) + 1.0
    y = torch.sigmoid(y) * y
    y = y * torch.sigmoid(1.702 * y)
    return self.swish(y - 2.0)
)";

TEST(GraphRewrites, SwishAndQuickGeluBecomeSilu) {
  auto module = module_from(kThreeForms);
  // The helper method's swish (called twice), forward's reversed one, QuickGELU.
  EXPECT_EQ(vqclip::fuse_swish(module), 3);
  EXPECT_EQ(vqclip::fuse_swish(module), 0) << "nothing is left to rewrite";
}

TEST(GraphRewrites, FusedModuleGivesTheSameValuesAndGradients) {
  auto reference = module_from(kThreeForms);
  auto fused = module_from(kThreeForms);
  ASSERT_GT(vqclip::fuse_swish(fused), 0);
  const auto x = torch::randn({2, 3, 17, 19}, torch::TensorOptions().dtype(torch::kFloat)) * 4;
  for (int call = 0; call < 3; ++call) {  // the executor's profiling runs and the optimised one
    const auto [want, want_grad] = value_and_gradient(reference, x);
    const auto [got, got_grad] = value_and_gradient(fused, x);
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6)) << (got - want).abs().max().item<float>();
    EXPECT_TRUE(torch::allclose(got_grad, want_grad, 1e-5, 1e-6)) << (got_grad - want_grad).abs().max().item<float>();
  }
}

TEST(GraphRewrites, ProductsWithTheSigmoidOfAnotherTensorStay) {
  // Gates: the sigmoid's argument is not the other factor (or its multiple).
  auto module = module_from(R"(
def forward(self, x: Tensor) -> Tensor:
    gate = x * torch.sigmoid(x + 1.0)
    return x * torch.sigmoid(1.702 * gate)
)");
  EXPECT_EQ(vqclip::fuse_swish(module), 0);
  const auto x = torch::randn({8});
  const auto gate = x * torch::sigmoid(x + 1);
  EXPECT_TRUE(torch::allclose(module.forward({x}).toTensor(), x * torch::sigmoid(1.702 * gate)));
}

}  // namespace
