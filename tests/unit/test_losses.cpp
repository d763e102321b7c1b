// Spherical distance and the per-prompt loss against hand-computed values.
#include <cmath>
#include <limits>

#include "test_env.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

// prompt_loss's stop when the prompt has none: the value is never floored.
constexpr double kNoFloor = -std::numeric_limits<double>::infinity();

TEST(SphericalDistance, HandComputedAnglesAndScaleInvariance) {
  // Same direction (other length), orthogonal, opposite, 60 degrees apart.
  const auto views = torch::tensor({{2.0f, 0.0f}, {0.0f, 3.0f}, {-0.5f, 0.0f}, {1.0f, 1.7320508f}});
  const auto d = spherical_distance(views, torch::tensor({4.0f, 0.0f}));
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{4}));
  EXPECT_NEAR(d[0].item<double>(), 0.0, 1e-6);
  // 2 * asin(sqrt(2) / 2)^2 = 2 * (pi / 4)^2
  EXPECT_NEAR(d[1].item<double>(), 2 * std::pow(std::asin(std::sqrt(2.0) / 2), 2), 1e-5);
  EXPECT_NEAR(d[1].item<double>(), M_PI * M_PI / 8, 1e-5);
  EXPECT_NEAR(d[2].item<double>(), 2 * std::pow(M_PI / 2, 2), 1e-4);
  EXPECT_NEAR(d[3].item<double>(), 2 * std::pow(M_PI / 6, 2), 1e-5);  // angle pi/3
}

TEST(SphericalDistance, AcceptsAPromptRow) {
  const auto views = torch::tensor({{0.0f, 1.0f, 0.0f}});
  const auto flat = spherical_distance(views, torch::tensor({1.0f, 0.0f, 0.0f}));
  const auto row = spherical_distance(views, torch::tensor({{1.0f, 0.0f, 0.0f}}));
  EXPECT_TRUE(torch::allclose(flat, row));
}

TEST(PromptLoss, MeanOverViewsTimesWeightWithItsSign) {
  const auto views = torch::tensor({{0.0f, 1.0f}, {1.0f, 0.0f}});  // distances pi^2/8 and 0
  const auto prompt = torch::tensor({1.0f, 0.0f});
  const double mean = M_PI * M_PI / 16;
  EXPECT_NEAR(prompt_loss(views, prompt, 2.0, kNoFloor).item<double>(), 2 * mean, 1e-5);
  EXPECT_NEAR(prompt_loss(views, prompt, -0.5, kNoFloor).item<double>(), -0.5 * mean, 1e-5);
  EXPECT_EQ(prompt_loss(views, prompt, 0.0, kNoFloor).item<double>(), 0.0);
}

TEST(PromptLoss, StopFloorsTheValueButNotTheGradient) {
  const auto prompt = torch::tensor({1.0f, 0.0f, 0.0f});
  const auto start = torch::tensor({{0.0f, 1.0f, 0.0f}, {0.6f, 0.0f, 0.8f}});
  const double d0 = M_PI * M_PI / 8;
  const double d1 = 2 * std::pow(std::acos(0.6) / 2, 2);
  const double stop = (d0 + d1) / 2;  // between the two distances: floors only the second view

  auto floored_views = start.clone().requires_grad_(true);
  const auto floored = prompt_loss(floored_views, prompt, 1.5, stop);
  EXPECT_NEAR(floored.item<double>(), 1.5 * (d0 + stop) / 2, 1e-5);
  floored.backward();

  auto free_views = start.clone().requires_grad_(true);
  const auto free = prompt_loss(free_views, prompt, 1.5, kNoFloor);
  EXPECT_NEAR(free.item<double>(), 1.5 * (d0 + d1) / 2, 1e-5);
  free.backward();

  ASSERT_TRUE(floored_views.grad().defined());
  EXPECT_TRUE(torch::allclose(floored_views.grad(), free_views.grad()));
  // The floored view still gets its pull towards the prompt.
  EXPECT_GT(floored_views.grad()[1].abs().sum().item<float>(), 1e-3f);
}

TEST(PromptLoss, NegativeWeightIsFlooredOnTheSignedDistance) {
  // With weight < 0 the signed distance is -d; a stop of -1 caps how far away
  // the loss keeps pushing: below -1 the value stays at -1.
  const auto views = torch::tensor({{-1.0f, 0.0f}});  // d = pi^2/2 ~ 4.93
  const auto prompt = torch::tensor({1.0f, 0.0f});
  EXPECT_NEAR(prompt_loss(views, prompt, -2.0, -1.0).item<double>(), 2 * -1.0, 1e-6);
  EXPECT_NEAR(prompt_loss(views, prompt, -2.0, kNoFloor).item<double>(), 2 * -M_PI * M_PI / 2, 1e-4);
}

}  // namespace
}  // namespace vqclip
