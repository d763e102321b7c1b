// Quantiser, clamp gradient rule, cutouts/augmentations and losses.
#include <cmath>

#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

TEST(Quantizer, ForwardIsTheNearestCodeAndGradientIsIdentity) {
  torch::manual_seed(0);
  const auto codebook = torch::randn({16, 4});
  auto z = torch::randn({2, 4, 3, 5}).requires_grad_(true);
  const auto q = quantize_straight_through(z, codebook);

  // Brute force: every latent vector against every code.
  const auto flat = z.detach().permute({0, 2, 3, 1}).reshape({-1, 4});
  const auto nearest = torch::cdist(flat, codebook).argmin(1);
  const auto expected = codebook.index_select(0, nearest).view({2, 3, 5, 4}).permute({0, 3, 1, 2});
  EXPECT_TRUE(torch::allclose(q, expected, 1e-6, 1e-6));
  EXPECT_TRUE(torch::equal(nearest_code_indices(z.detach(), codebook).flatten(), nearest));

  const auto upstream = torch::randn_like(q);
  q.backward(upstream);
  EXPECT_TRUE(torch::equal(z.grad(), upstream));
}

TEST(Quantizer, NoGradientReachesTheCodebook) {
  auto codebook = torch::randn({8, 3}).requires_grad_(true);
  auto z = torch::randn({1, 3, 2, 2}).requires_grad_(true);
  quantize_straight_through(z, codebook).sum().backward();
  EXPECT_FALSE(codebook.grad().defined());
}

TEST(ClampWithGrad, PassesGradientsExceptOutward) {
  auto x = torch::tensor({-0.5f, 0.5f, 1.5f, -0.5f, 1.5f}).requires_grad_(true);
  const auto y = clamp_with_grad(x, 0.0, 1.0);
  EXPECT_TRUE(torch::equal(y.detach(), torch::tensor({0.0f, 0.5f, 1.0f, 0.0f, 1.0f})));
  // Descent moves x by -grad: below 0 with grad > 0 would go further down (blocked);
  // below 0 with grad < 0 moves back up (passed); symmetric above 1.
  y.backward(torch::tensor({1.0f, 1.0f, -1.0f, -1.0f, 1.0f}));
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, 0.0f, -1.0f, 1.0f})));
}

CutoutSettings settings_for(CutMethod method, const std::string& augments, int cutn = 6) {
  CutoutSettings s;
  s.cutn = cutn;
  s.method = method;
  s.augments = parse_augments(augments);
  return s;
}

TEST(Cutouts, ShapesAndRangeForBothMethodsAndOddSizes) {
  torch::manual_seed(3);
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    for (const auto& [h, w] : std::vector<std::pair<int, int>>{{64, 64}, {40, 72}, {96, 48}}) {
      const auto image = torch::rand({1, 3, h, w});
      const auto views = make_cutouts(image, 32, settings_for(method, "affine,perspective,jitter,erasing,flip"));
      EXPECT_EQ(views.sizes().vec(), (std::vector<int64_t>{6, 3, 32, 32}));
      EXPECT_GE(views.min().item<float>(), 0.0f);
      EXPECT_LE(views.max().item<float>(), 1.0f);
    }
  }
}

TEST(Cutouts, DeterministicUnderASeed) {
  const auto image = torch::rand({1, 3, 64, 64});
  const auto settings = settings_for(CutMethod::kCrops, "affine,perspective,jitter,erasing,flip,noise");
  torch::manual_seed(11);
  const auto a = make_cutouts(image, 24, settings);
  torch::manual_seed(11);
  const auto b = make_cutouts(image, 24, settings);
  torch::manual_seed(12);
  const auto c = make_cutouts(image, 24, settings);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
}

TEST(Cutouts, PooledWithoutAugmentsIsThePooledPicture) {
  const auto image = torch::rand({1, 3, 64, 64});
  const auto views = make_cutouts(image, 32, settings_for(CutMethod::kPooled, "none", 3));
  namespace F = torch::nn::functional;
  const auto expected = (F::adaptive_avg_pool2d(image, F::AdaptiveAvgPool2dFuncOptions(32)) +
                         F::adaptive_max_pool2d(image, F::AdaptiveMaxPool2dFuncOptions(32))) / 2;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(views[i], expected[0]));
}

TEST(Cutouts, EachAugmentationChangesTheViews) {
  const auto image = torch::rand({1, 3, 48, 48});
  torch::manual_seed(5);
  const auto plain = make_cutouts(image, 24, settings_for(CutMethod::kPooled, "none", 16));
  for (const char* augment : {"affine", "perspective", "jitter", "erasing", "flip", "noise"}) {
    torch::manual_seed(5);
    const auto views = make_cutouts(image, 24, settings_for(CutMethod::kPooled, augment, 16));
    EXPECT_GT((views - plain).abs().max().item<float>(), 1e-3f) << augment;
  }
}

TEST(Cutouts, GradientFlowsToThePicture) {
  auto image = torch::rand({1, 3, 40, 56}).requires_grad_(true);
  make_cutouts(image, 16, settings_for(CutMethod::kCrops, "affine,perspective,jitter,erasing,flip,noise"))
      .sum()
      .backward();
  ASSERT_TRUE(image.grad().defined());
  EXPECT_GT(image.grad().abs().sum().item<float>(), 0.0f);
}

TEST(Augments, ParseTable) {
  EXPECT_EQ(to_string(parse_augments("none")), "none");
  EXPECT_EQ(to_string(parse_augments("flip,affine")), "affine,flip");
  try {
    parse_augments("affine,swirl");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'swirl'"), std::string::npos);
  }
}

TEST(Losses, SphericalDistanceAgainstHandComputedValues) {
  const auto views = torch::tensor({{1.0f, 0.0f}, {0.0f, 3.0f}, {-2.0f, 0.0f}});
  const auto d = spherical_distance(views, torch::tensor({1.0f, 0.0f}));
  EXPECT_NEAR(d[0].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(d[1].item<float>(), M_PI * M_PI / 8, 1e-5);  // orthogonal
  EXPECT_NEAR(d[2].item<float>(), M_PI * M_PI / 2, 1e-5);  // opposite: 2*asin(1)^2
}

TEST(Losses, WeightSignAndStop) {
  const auto views = torch::tensor({{0.0f, 1.0f}});
  const auto prompt = torch::tensor({1.0f, 0.0f});
  const double d = M_PI * M_PI / 8;
  EXPECT_NEAR(prompt_loss(views, prompt, 2.0, -1e9).item<double>(), 2 * d, 1e-5);
  EXPECT_NEAR(prompt_loss(views, prompt, -0.5, -1e9).item<double>(), -0.5 * d, 1e-5);

  // A stop above the distance floors the value but keeps the gradient.
  auto floored_views = torch::tensor({{0.0f, 1.0f}}).requires_grad_(true);
  auto free_views = torch::tensor({{0.0f, 1.0f}}).requires_grad_(true);
  const auto floored = prompt_loss(floored_views, prompt, 1.0, 5.0);
  EXPECT_NEAR(floored.item<double>(), 5.0, 1e-6);
  floored.backward();
  prompt_loss(free_views, prompt, 1.0, -std::numeric_limits<double>::infinity()).backward();
  EXPECT_TRUE(torch::allclose(floored_views.grad(), free_views.grad()));
  EXPECT_GT(free_views.grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace vqclip
