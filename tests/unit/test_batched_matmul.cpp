// vqclip::batched_matmul against torch.matmul: values and gradients on the
// strided views attention makes, the calls it leaves to torch.matmul, the
// thread count, double backward, and the TorchScript rewrite that uses it.
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "model/batched_matmul.hpp"
#include "model/graph_rewrites.hpp"

namespace vqclip {
namespace {

// Query, key and value as CLIP's attention makes them: views of one
// [batch, tokens, 3, heads, head_dim] tensor, permuted (not contiguous).
struct Attention {
  torch::Tensor q, k, v;
};

Attention attention_views(int64_t batch, int64_t tokens, int64_t heads, int64_t head_dim, bool requires_grad) {
  auto qkv = torch::randn({batch, tokens, 3, heads, head_dim}).requires_grad_(requires_grad);
  auto views = qkv.permute({2, 0, 3, 1, 4});
  return {views[0], views[1], views[2]};
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5)) << (got - want).abs().max().item<float>();
}

TEST(BatchedMatmul, AttentionProductsEqualTorchMatmul) {
  torch::manual_seed(1);
  const auto views = attention_views(5, 7, 3, 8, false);
  const auto kt = views.k.transpose(-2, -1);
  ASSERT_TRUE(computes_batched_matmul(views.q, kt)) << "the strided views go to the BLAS as they are";
  const auto scores = batched_matmul(views.q, kt);
  expect_close(scores, torch::matmul(views.q, kt));
  const auto weights = torch::softmax(scores, -1);
  ASSERT_TRUE(computes_batched_matmul(weights, views.v));
  expect_close(batched_matmul(weights, views.v), torch::matmul(weights, views.v));
  // One row or one column a matrix (a single query, a pooled token).
  const auto one_row = views.q.narrow(2, 0, 1);
  expect_close(batched_matmul(one_row, kt), torch::matmul(one_row, kt));
  const auto one_column = views.v.narrow(3, 0, 1);
  expect_close(batched_matmul(weights, one_column), torch::matmul(weights, one_column));
  // Three dimensions, and a batch of one.
  const auto a = torch::randn({4, 6, 5}), b = torch::randn({4, 5, 3});
  expect_close(batched_matmul(a, b), torch::matmul(a, b));
  expect_close(batched_matmul(a.narrow(0, 0, 1), b.narrow(0, 0, 1)), torch::matmul(a.narrow(0, 0, 1), b.narrow(0, 0, 1)));
}

TEST(BatchedMatmul, GradientsEqualTorchMatmuls) {
  torch::manual_seed(2);
  const auto run = [](bool ours) {
    torch::manual_seed(3);
    auto qkv = torch::randn({4, 9, 3, 2, 8}).requires_grad_(true);
    auto views = qkv.permute({2, 0, 3, 1, 4});
    const auto product = [ours](const torch::Tensor& a, const torch::Tensor& b) {
      return ours ? batched_matmul(a, b) : torch::matmul(a, b);
    };
    const auto weights = torch::softmax(product(views[0], views[1].transpose(-2, -1)) / 8.0, -1);
    const auto out = product(weights, views[2]);
    (out * torch::linspace(-1, 1, out.numel()).view_as(out)).sum().backward();
    return std::make_pair(out.detach(), qkv.grad());
  };
  const auto [want, want_gradient] = run(false);
  const auto [got, got_gradient] = run(true);
  expect_close(got, want);
  expect_close(got_gradient, want_gradient);
}

TEST(BatchedMatmul, OnlyOneInputNeedsAGradient) {
  torch::manual_seed(4);
  const auto a = torch::randn({3, 4, 5}).requires_grad_(true);
  const auto b = torch::randn({3, 5, 6});
  batched_matmul(a, b).sum().backward();
  const auto a2 = a.detach().clone().requires_grad_(true);
  torch::matmul(a2, b).sum().backward();
  expect_close(a.grad(), a2.grad());
  EXPECT_FALSE(b.grad().defined());
}

TEST(BatchedMatmul, OtherCallsAreTorchMatmuls) {
  torch::manual_seed(5);
  const auto a = torch::randn({2, 3, 4, 5}), b = torch::randn({2, 3, 5, 6});
  EXPECT_FALSE(computes_batched_matmul(a[0][0], b[0][0])) << "two dimensions: not a batch";
  EXPECT_FALSE(computes_batched_matmul(a, b[0])) << "broadcast batch";
  EXPECT_FALSE(computes_batched_matmul(a.narrow(0, 0, 1), b)) << "broadcast batch of one";
  EXPECT_FALSE(computes_batched_matmul(a.to(torch::kDouble), b.to(torch::kDouble)));
  EXPECT_FALSE(computes_batched_matmul(a.to(torch::kBFloat16), b.to(torch::kBFloat16)));
  EXPECT_FALSE(computes_batched_matmul(torch::randn({1}).expand({2, 3, 4, 5}), b))
      << "one element repeated (all strides 0) has no BLAS layout";
  {
    at::autocast::set_cpu_enabled(true);
    EXPECT_FALSE(computes_batched_matmul(a, b)) << "autocast picks the precision";
    at::autocast::set_cpu_enabled(false);
  }
  expect_close(batched_matmul(a[0][0], b[0][0]), torch::matmul(a[0][0], b[0][0]));
  expect_close(batched_matmul(a, b[0]), torch::matmul(a, b[0]));
  expect_close(batched_matmul(a.to(torch::kDouble), b.to(torch::kDouble)).to(torch::kFloat), torch::matmul(a, b));
}

TEST(BatchedMatmul, TheThreadCountDoesNotChangeTheResult) {
  torch::manual_seed(6);
  const auto views = attention_views(16, 50, 4, 16, false);
  const auto kt = views.k.transpose(-2, -1);
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = batched_matmul(views.q, kt);
  torch::set_num_threads(2);
  const auto two = batched_matmul(views.q, kt);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST(BatchedMatmul, CreateGraphGivesSecondDerivatives) {
  torch::manual_seed(7);
  const auto second_derivative = [](bool ours) {
    torch::manual_seed(8);
    auto a = torch::randn({2, 3, 4}).requires_grad_(true);
    const auto b = torch::randn({2, 4, 3});
    const auto out = ours ? batched_matmul(a, b) : torch::matmul(a, b);
    const auto gradient = torch::autograd::grad({(out * out).sum()}, {a}, {}, true, true)[0];
    return torch::autograd::grad({gradient.pow(2).sum()}, {a})[0];
  };
  expect_close(second_derivative(true), second_derivative(false));
}

TEST(BatchedMatmul, TheGraphRewriteRunsAttentionThroughIt) {
  torch::jit::Module reference("Attention");
  const char* source = R"(
def forward(self, q: Tensor, k: Tensor, v: Tensor, w: Tensor) -> Tensor:
    weights = torch.softmax(torch.matmul(q, k.transpose(-2, -1)), dim=-1)
    return torch.matmul(torch.matmul(weights, v).sum(1), w)
)";
  reference.define(source);
  torch::jit::Module rewritten("Attention");
  rewritten.define(source);
  EXPECT_EQ(batch_matrix_products(rewritten), 3);
  EXPECT_EQ(batch_matrix_products(rewritten), 0) << "nothing is left to rewrite";
  torch::manual_seed(9);
  const auto views = attention_views(3, 5, 2, 4, true);
  const auto w = torch::randn({4, 6});
  for (int call = 0; call < 2; ++call) {
    const auto want = reference.forward({views.q, views.k, views.v, w}).toTensor();
    const auto got = rewritten.forward({views.q, views.k, views.v, w}).toTensor();
    expect_close(got, want);
    const auto gradients = [&views](const torch::Tensor& out) {
      return torch::autograd::grad({(out * out).sum()}, {views.q, views.k, views.v});
    };
    const auto want_gradients = gradients(want), got_gradients = gradients(got);
    for (size_t i = 0; i < want_gradients.size(); ++i) expect_close(got_gradients[i], want_gradients[i]);
  }
}

}  // namespace
}  // namespace vqclip
