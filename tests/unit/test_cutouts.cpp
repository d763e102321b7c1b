// Cutouts (crops and pooled) and their batched augmentations.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "render/augmentations.hpp"
#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

namespace F = torch::nn::functional;

const std::string kAllButNoise = "affine,perspective,jitter,erasing,flip";
const std::string kAll = kAllButNoise + ",noise";

CutoutSettings settings_for(CutMethod method, const std::string& augments, int cutn) {
  CutoutSettings settings;
  settings.cutn = cutn;
  settings.method = method;
  settings.augments = parse_augments(augments);
  return settings;
}

torch::Tensor pooled_picture(const torch::Tensor& image, int64_t resolution) {
  const std::vector<int64_t> size{resolution, resolution};
  return (F::adaptive_avg_pool2d(image, F::AdaptiveAvgPool2dFuncOptions(size)) +
          F::adaptive_max_pool2d(image, F::AdaptiveMaxPool2dFuncOptions(size))) /
         2;
}

// Largest absolute difference of each view from `reference` [1 or n, C, R, R]: [n].
torch::Tensor change_per_view(const torch::Tensor& views, const torch::Tensor& reference) {
  return (views - reference).abs().flatten(1).amax(1);
}

int64_t count_true(const torch::Tensor& flags) { return flags.sum().item<int64_t>(); }

// The cutouts' own generator, as a run has one.
at::Generator& generator() {
  static auto instance = make_random_generator(0, torch::kCPU);
  return instance;
}

// Seeds torch's global generator (the test pictures) and the cutouts' one.
void seed_all(uint64_t seed) {
  torch::manual_seed(seed);
  generator().set_current_seed(seed);
}

torch::Tensor cut(const torch::Tensor& image, int resolution, const CutoutSettings& settings) {
  return make_cutouts(image, resolution, settings, generator());
}

TEST(CutoutViews, ShapeAndRangeForBothMethodsAndSeveralSizes) {
  seed_all(3);
  // [H, W]: square, wide, tall, and smaller than the resolution (crops then upsample).
  const std::vector<std::pair<int64_t, int64_t>> sizes{{64, 64}, {40, 72}, {96, 48}, {20, 30}};
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    for (const auto& augments : {std::string("none"), kAllButNoise}) {
      for (const auto& [height, width] : sizes) {
        const auto image = torch::rand({1, 3, height, width});
        const auto views = cut(image, 32, settings_for(method, augments, 5));
        const auto where = augments + " " + std::to_string(height) + "x" + std::to_string(width);
        EXPECT_EQ(views.sizes().vec(), (std::vector<int64_t>{5, 3, 32, 32})) << where;
        EXPECT_GE(views.min().item<float>(), 0.0f) << where;
        EXPECT_LE(views.max().item<float>(), 1.0f) << where;
      }
    }
  }
}

TEST(CutoutViews, SameSeedSameViewsOtherSeedOtherViews) {
  const auto image = torch::rand({1, 3, 48, 64});
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    const auto settings = settings_for(method, kAll, 8);
    seed_all(11);
    const auto first = cut(image, 24, settings);
    seed_all(11);
    const auto again = cut(image, 24, settings);
    seed_all(12);
    const auto other = cut(image, 24, settings);
    EXPECT_TRUE(torch::equal(first, again));
    EXPECT_FALSE(torch::allclose(first, other));
  }
}

TEST(CutoutViews, PooledWithoutAugmentsIsThePooledPictureInEveryView) {
  const auto image = torch::rand({1, 3, 50, 70});
  const auto views = cut(image, 32, settings_for(CutMethod::kPooled, "none", 3));
  const auto expected = pooled_picture(image, 32);
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(views[i], expected[0])) << i;
}

// Channel 0 holds x / W and channel 1 y / H at the pixel centres: bilinear
// sampling of such ramps is exact, so each view reveals where its crop lies.
TEST(CutoutViews, CropsAreSquaresOfTheDrawnSizesInsideThePicture) {
  const int64_t height = 48, width = 80, resolution = 16;
  const auto xs = torch::arange(width, torch::kFloat).div(width).view({1, -1}).expand({height, width});
  const auto ys = torch::arange(height, torch::kFloat).div(height).view({-1, 1}).expand({height, width});
  const auto image = torch::stack({xs, ys, torch::zeros_like(xs)}).unsqueeze(0);

  const auto mean_side = [&](double cut_pow) {
    auto settings = settings_for(CutMethod::kCrops, "none", 64);
    settings.cut_pow = cut_pow;
    seed_all(21);
    const auto views = cut(image, resolution, settings);
    // Pixel j of a crop at `start` with `side` shows start + side * (j + 0.5) / R - 0.5.
    const auto span_x = views.select(1, 0).select(1, 0);  // [n, R], along x
    const auto span_y = views.select(1, 1).select(2, 0);  // [n, R], along y
    const auto side_x = (span_x.select(1, resolution - 1) - span_x.select(1, 0)) * width * resolution / (resolution - 1);
    const auto side_y = (span_y.select(1, resolution - 1) - span_y.select(1, 0)) * height * resolution / (resolution - 1);
    const auto left = span_x.select(1, 0) * width + 0.5 - side_x / (2 * resolution);
    const auto top = span_y.select(1, 0) * height + 0.5 - side_y / (2 * resolution);
    const double tolerance = 0.02;  // pixels
    EXPECT_LT((side_x - side_y).abs().max().item<double>(), tolerance) << "square crops";
    EXPECT_GE(side_x.min().item<double>(), resolution - tolerance);  // min_side = min(W, H, R)
    EXPECT_LE(side_x.max().item<double>(), height + tolerance);      // max_side = min(W, H)
    EXPECT_GE(left.min().item<double>(), -tolerance);
    EXPECT_LE((left + side_x).max().item<double>(), width + tolerance);
    EXPECT_GE(top.min().item<double>(), -tolerance);
    EXPECT_LE((top + side_y).max().item<double>(), height + tolerance);
    EXPECT_GT((side_x.max() - side_x.min()).item<double>(), 10.0) << "sides vary";
    // Every row of the x ramp is the same: no shear or rotation without augments.
    EXPECT_TRUE(torch::allclose(views.select(1, 0), views.select(1, 0).narrow(1, 0, 1).expand_as(views.select(1, 0)),
                                1e-5, 1e-6));
    return side_x.mean().item<double>();
  };
  // rand^cut_pow: a large power favours small crops.
  EXPECT_LT(mean_side(4.0), mean_side(0.25) - 10.0);
}

TEST(CutoutViews, GeometricAugmentsKeepTheGradientMass) {
  // Bilinear weights (border padding included) and both poolings pass each
  // output's gradient on in full, so d(sum of views)/d(picture) sums to the
  // number of view values.
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    auto image = torch::rand({1, 3, 40, 56}).requires_grad_(true);
    seed_all(4);
    const auto views = cut(image, 16, settings_for(method, "affine,perspective,flip", 7));
    views.sum().backward();
    EXPECT_NEAR(image.grad().sum().item<double>(), 7 * 3 * 16 * 16, 1e-2);
  }
}

TEST(CutoutViews, GradientReachesThePictureThroughAllAugments) {
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    auto image = torch::rand({1, 3, 40, 56}).requires_grad_(true);
    seed_all(5);
    cut(image, 16, settings_for(method, kAll, 6)).pow(2).sum().backward();
    ASSERT_TRUE(image.grad().defined());
    EXPECT_TRUE(torch::isfinite(image.grad()).all().item<bool>());
    EXPECT_GT(image.grad().abs().sum().item<double>(), 1.0);
  }
}

TEST(CutoutViews, KeepTheDtypeOfThePicture) {
  const auto image = torch::rand({1, 3, 32, 40}, torch::kDouble);
  for (const auto method : {CutMethod::kCrops, CutMethod::kPooled}) {
    const auto views = cut(image, 16, settings_for(method, kAll, 4));
    EXPECT_EQ(views.scalar_type(), torch::kDouble);
    EXPECT_EQ(views.device(), image.device());
  }
}

TEST(CutoutViews, BadArgumentsAreInternalErrors) {
  const auto settings = settings_for(CutMethod::kPooled, "none", 4);
  EXPECT_THROW(cut(torch::rand({2, 3, 16, 16}), 8, settings), InternalError);
  EXPECT_THROW(cut(torch::rand({3, 16, 16}), 8, settings), InternalError);
  EXPECT_THROW(cut(torch::rand({1, 3, 16, 16}), 0, settings), InternalError);
}

TEST(CutoutAugments, EachChangesSomeViewsButNotAllAndNoneChangesNothing) {
  const int cutn = 24;
  const auto image = torch::rand({1, 3, 48, 48});
  const auto plain = pooled_picture(image, 24);
  for (const char* augment : {"affine", "perspective", "jitter", "erasing", "flip"}) {
    seed_all(5);
    const auto change = change_per_view(cut(image, 24, settings_for(CutMethod::kPooled, augment, cutn)), plain);
    const auto changed = count_true(change > 1e-3);
    EXPECT_GE(changed, 1) << augment;
    EXPECT_LT(changed, cutn) << augment;  // p = 0.7 (flip 0.5) per view, not per batch
    EXPECT_EQ(changed + count_true(change < 1e-5), cutn) << augment << ": unchosen views stay as they were";
  }
  seed_all(5);
  EXPECT_TRUE(torch::equal(cut(image, 24, settings_for(CutMethod::kPooled, "none", cutn)),
                           plain.expand({cutn, -1, -1, -1})));
}

TEST(CutoutAugments, FlipMirrorsViews) {
  const auto image = torch::rand({1, 3, 32, 32});
  const auto plain = pooled_picture(image, 32);
  seed_all(6);
  const auto views = cut(image, 32, settings_for(CutMethod::kPooled, "flip", 16));
  const auto as_plain = change_per_view(views, plain) < 1e-5;
  const auto as_mirror = change_per_view(views, plain.flip({3})) < 1e-5;
  EXPECT_EQ(count_true(as_plain | as_mirror), 16);
  EXPECT_GT(count_true(as_mirror), 0);
  EXPECT_GT(count_true(as_plain), 0);
}

TEST(CutoutAugments, JitterKeepsGreysGreyAndRange) {
  const auto grey = torch::rand({1, 1, 32, 32}).expand({1, 3, 32, 32});
  seed_all(7);
  const auto views = cut(grey, 32, settings_for(CutMethod::kPooled, "jitter", 16));
  EXPECT_TRUE(torch::allclose(views.select(1, 0), views.select(1, 1), 0, 1e-5));
  EXPECT_TRUE(torch::allclose(views.select(1, 0), views.select(1, 2), 0, 1e-5));
  EXPECT_GE(views.min().item<float>(), 0.0f);
  EXPECT_LE(views.max().item<float>(), 1.0f);
  // Colour views do get tinted: a hue turn moves a pure red.
  const auto red = torch::zeros({1, 3, 8, 8}).index_fill_(1, torch::tensor({0}), 0.8);
  seed_all(7);
  const auto tinted = cut(red, 8, settings_for(CutMethod::kPooled, "jitter", 16));
  EXPECT_GT(tinted.narrow(1, 1, 2).max().item<float>(), 0.01f);
}

TEST(CutoutAugments, ErasingZeroesOneRectangleOfTenToFortyPercent) {
  const int64_t size = 32;
  const auto image = torch::rand({1, 3, size, size}) * 0.9 + 0.1;
  const auto plain = pooled_picture(image, size);
  seed_all(8);
  const auto views = cut(image, size, settings_for(CutMethod::kPooled, "erasing", 24));
  int64_t erased_views = 0;
  for (int64_t i = 0; i < views.size(0); ++i) {
    const auto erased = (views[i] != plain[0]).any(0);  // [H, W]
    const auto count = count_true(erased);
    if (count == 0) continue;
    ++erased_views;
    EXPECT_TRUE(torch::equal(views[i].masked_select(erased.unsqueeze(0).expand({3, size, size})),
                             torch::zeros({3 * count})));
    const auto rows = erased.any(1).nonzero(), cols = erased.any(0).nonzero();
    const auto box = (rows.max() - rows.min() + 1).item<int64_t>() * (cols.max() - cols.min() + 1).item<int64_t>();
    EXPECT_EQ(box, count) << "one rectangle";
    const double fraction = static_cast<double>(count) / (size * size);
    EXPECT_GE(fraction, 0.06) << i;  // 10-40%, give or take a row and a column of pixels
    EXPECT_LE(fraction, 0.45) << i;
  }
  EXPECT_GT(erased_views, 0);
  EXPECT_LT(erased_views, 24);
}

TEST(CutoutAugments, NoiseFactorIsBoundedByNoiseMax) {
  const auto image = torch::rand({1, 3, 32, 32});
  const auto plain = pooled_picture(image, 32);
  auto settings = settings_for(CutMethod::kPooled, "noise", 16);
  settings.noise_max = 0.0;
  EXPECT_TRUE(torch::equal(cut(image, 32, settings), plain.expand({16, -1, -1, -1})));

  settings.noise_max = 0.2;
  seed_all(9);
  const auto noise = cut(image, 32, settings) - plain;
  const auto spread = noise.flatten(1).std(1);  // per view: its factor times ~1
  EXPECT_LE(spread.max().item<double>(), 0.2 * 1.1);
  EXPECT_GT(spread.max().item<double>(), 0.02);
  EXPECT_GT((spread.max() - spread.min()).item<double>(), 0.02) << "a factor per view";
}

// Each of n view maps applied to homogeneous points [4, 3] -> [n, 4, 2].
torch::Tensor apply_maps(const torch::Tensor& maps, const torch::Tensor& points) {
  const auto mapped = torch::matmul(points, maps.transpose(1, 2));
  return mapped.narrow(2, 0, 2) / mapped.narrow(2, 2, 1);
}

TEST(ViewMaps, AffineIsABoundedRotationShearAndShift) {
  AugmentSet affine;
  affine.affine = true;
  seed_all(10);
  const auto maps = random_view_maps(200, affine, torch::TensorOptions(torch::kDouble), generator());
  const auto identity = torch::eye(3, torch::kDouble);
  const auto moved = ((maps - identity).abs().flatten(1).amax(1) > 1e-9);
  EXPECT_GT(count_true(moved), 100);  // p = 0.7
  EXPECT_LT(count_true(moved), 180);
  EXPECT_TRUE(torch::allclose(maps.select(1, 2), identity[2].expand({200, 3})));  // affine: last row 0 0 1
  const auto linear = maps.narrow(1, 0, 2).narrow(2, 0, 2);
  EXPECT_TRUE(torch::allclose(torch::linalg_det(linear), torch::ones({200}, torch::kDouble)));  // rotation, shear
  // Second row of Sh(-shear) R(-angle) is (-sin, cos) of the angle.
  const auto angle = torch::atan2(-linear.select(1, 1).select(1, 0), linear.select(1, 1).select(1, 1));
  EXPECT_LE(angle.abs().max().item<double>(), 15 * M_PI / 180 + 1e-9);
  EXPECT_GT(angle.abs().max().item<double>(), 10 * M_PI / 180);
  EXPECT_LE(maps.select(2, 2).narrow(1, 0, 2).abs().max().item<double>(), 0.33);
}

TEST(ViewMaps, PerspectiveShowsThePlainViewInAQuadOfInwardCorners) {
  AugmentSet perspective;
  perspective.perspective = true;
  seed_all(11);
  const auto maps = random_view_maps(200, perspective, torch::TensorOptions(torch::kDouble), generator());
  const auto corners =
      torch::tensor({{-1.0, -1.0, 1.0}, {1.0, -1.0, 1.0}, {1.0, 1.0, 1.0}, {-1.0, 1.0, 1.0}}, torch::kDouble);
  // The image transform (inverse of the sampling map) sends each corner of the
  // plain view inwards, by at most 0.7 of the half side per coordinate.
  const auto quads = apply_maps(torch::linalg_inv(maps), corners);  // [n, 4, 2]
  const auto signs = corners.narrow(1, 0, 2).unsqueeze(0);
  const auto inward = 1 - quads * signs;  // per coordinate, in [0, 0.7]
  EXPECT_GE(inward.min().item<double>(), -1e-9);
  EXPECT_LE(inward.max().item<double>(), 0.7 + 1e-9);
  EXPECT_GT(inward.max().item<double>(), 0.6);
  const auto moved = inward.flatten(1).amax(1) > 1e-9;
  EXPECT_GT(count_true(moved), 100);
  EXPECT_LT(count_true(moved), 180);
}

TEST(AugmentList, ParseTable) {
  const std::vector<std::pair<std::string, std::string>> accepted{
      {"none", "none"},
      {"", "none"},
      {"flip,affine", "affine,flip"},
      {"affine, perspective", "affine,perspective"},
      {"jitter,jitter", "jitter"},
      {"noise,flip,erasing,jitter,perspective,affine", "affine,perspective,jitter,erasing,flip,noise"},
  };
  for (const auto& [list, expected] : accepted) EXPECT_EQ(to_string(parse_augments(list)), expected) << list;

  const std::vector<std::pair<std::string, std::string>> rejected{
      {"affine,swirl", "'swirl'"},
      {"none,flip", "'none'"},
      {"affine,,flip", "''"},
      {"Affine", "'Affine'"},
  };
  for (const auto& [list, named] : rejected) {
    try {
      parse_augments(list);
      ADD_FAILURE() << list << " was accepted";
    } catch (const ParameterError& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.field(), "augments") << message;
      EXPECT_NE(message.find(named), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace vqclip
