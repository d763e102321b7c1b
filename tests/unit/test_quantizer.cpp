// The straight-through pieces of the decode path: the quantiser and the clamp
// whose gradient passes unless it points further out.
#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

// Nearest code of every latent vector by direct differences, [B, h, w].
torch::Tensor brute_force_indices(const torch::Tensor& z, const torch::Tensor& codebook) {
  const auto flat = z.permute({0, 2, 3, 1}).reshape({-1, z.size(1)});
  const auto squared = (flat.unsqueeze(1) - codebook.unsqueeze(0)).pow(2).sum(2);  // [M, N]
  return squared.argmin(1).view({z.size(0), z.size(2), z.size(3)});
}

TEST(StraightThroughQuantiser, ForwardIsTheBruteForceNearestCode) {
  torch::manual_seed(0);
  const auto codebook = torch::randn({32, 6});
  const auto z = torch::randn({2, 6, 3, 5}) * 1.5;
  const auto expected_indices = brute_force_indices(z, codebook);
  EXPECT_TRUE(torch::equal(nearest_code_indices(z, codebook), expected_indices));

  const auto q = quantize_straight_through(z, codebook);
  ASSERT_EQ(q.sizes(), z.sizes());
  const auto expected = codebook.index_select(0, expected_indices.flatten()).view({2, 3, 5, 6}).permute({0, 3, 1, 2});
  EXPECT_TRUE(torch::equal(q, expected));
}

TEST(StraightThroughQuantiser, LatentsOnACodeStayOnIt) {
  torch::manual_seed(1);
  const auto codebook = torch::randn({10, 3});
  const auto indices = torch::tensor({{{4, 0}, {9, 4}}}, torch::kLong);  // [1, 2, 2]
  const auto z = codebook.index_select(0, indices.flatten()).view({1, 2, 2, 3}).permute({0, 3, 1, 2});
  EXPECT_TRUE(torch::equal(nearest_code_indices(z, codebook), indices));
  EXPECT_TRUE(torch::equal(quantize_straight_through(z, codebook), z));
}

TEST(StraightThroughQuantiser, GradientReachesZUnchangedAndNotTheCodebook) {
  torch::manual_seed(2);
  auto codebook = torch::randn({16, 4}).requires_grad_(true);
  auto z = torch::randn({1, 4, 3, 3}).requires_grad_(true);
  const auto q = quantize_straight_through(z, codebook);
  const auto upstream = torch::randn_like(q);
  q.backward(upstream);
  ASSERT_TRUE(z.grad().defined());
  EXPECT_TRUE(torch::equal(z.grad(), upstream));
  EXPECT_FALSE(codebook.grad().defined());
}

TEST(StraightThroughQuantiser, MismatchedChannelsAreAnInternalError) {
  EXPECT_THROW(nearest_code_indices(torch::zeros({1, 4, 2, 2}), torch::zeros({8, 3})), InternalError);
  EXPECT_THROW(quantize_straight_through(torch::zeros({4, 2, 2}), torch::zeros({8, 4})), InternalError);
}

TEST(ClampWithGradient, ClampsForwardAndDropsOnlyOutwardGradients) {
  // below 0 | inside | above 1 | below 0 | above 1 | on the lower bound
  auto x = torch::tensor({-0.5f, 0.5f, 1.5f, -0.5f, 1.5f, 0.0f}).requires_grad_(true);
  const auto y = clamp_with_grad(x, 0.0, 1.0);
  EXPECT_TRUE(torch::equal(y.detach(), torch::tensor({0.0f, 0.5f, 1.0f, 0.0f, 1.0f, 0.0f})));
  // Descent moves x by -grad. Below 0, grad > 0 would push x further down:
  // dropped; grad < 0 brings it back: kept. Above 1 the mirror image. Inside
  // and on the bound everything passes.
  y.backward(torch::tensor({2.0f, 3.0f, -1.0f, -4.0f, 5.0f, 6.0f}));
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 3.0f, 0.0f, -4.0f, 5.0f, 6.0f})));
}

TEST(ClampWithGradient, HonoursOtherBounds) {
  auto x = torch::tensor({-3.0f, -1.0f, 2.5f, 4.0f}).requires_grad_(true);
  const auto y = clamp_with_grad(x, -2.0, 3.0);
  EXPECT_TRUE(torch::equal(y.detach(), torch::tensor({-2.0f, -1.0f, 2.5f, 3.0f})));
  y.backward(torch::tensor({1.0f, 1.0f, -1.0f, -1.0f}));
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, -1.0f, 0.0f})));
}

}  // namespace
}  // namespace vqclip
