// The vector drawer's rasteriser (soft_raster.hpp) and Bezier paths
// (bezier_paths.hpp): coverage of a square and a circle against their exact
// area coverage, signed distances of strokes and of the even-odd rule,
// gradients against finite differences, chunked search equal to unchunked,
// and back-to-front compositing by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "render/drawers/bezier_paths.hpp"
#include "render/drawers/soft_raster.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip::drawers {
namespace {

const c10::Device kCpu(torch::kCPU);

torch::Tensor polyline(std::initializer_list<float> xy) {
  return torch::tensor(std::vector<float>(xy)).view({1, -1, 2});
}

// One-pixel-wide ramp coverage [H, W] of one closed polyline [1, V, 2].
torch::Tensor box_coverage(const torch::Tensor& outline, int64_t width, int64_t height) {
  return coverage(signed_distance(outline, pixel_centres(width, height, kCpu), true), 1.0).view({height, width});
}

// Exact fraction of each pixel inside a disc, by 32 x 32 samples a pixel.
torch::Tensor disc_area(double cx, double cy, double r, int64_t width, int64_t height) {
  constexpr int kSamples = 32;
  const auto offsets = (torch::arange(kSamples, torch::kDouble) + 0.5) / kSamples;
  const auto xs = (torch::arange(width, torch::kDouble).view({1, width, 1, 1}) + offsets.view({1, 1, 1, kSamples}));
  const auto ys = (torch::arange(height, torch::kDouble).view({height, 1, 1, 1}) + offsets.view({1, 1, kSamples, 1}));
  const auto inside = ((xs - cx).square() + (ys - cy).square()) <= r * r;
  return inside.to(torch::kDouble).mean({2, 3});
}

TEST(SoftRaster, ASquareCoversEachPixelByItsArea) {
  const double x0 = 10.25, x1 = 30.75, y0 = 12.5, y1 = 40.0;
  const auto square = polyline({10.25f, 12.5f, 30.75f, 12.5f, 30.75f, 40.0f, 10.25f, 40.0f});
  const auto drawn = box_coverage(square, 48, 48).to(torch::kDouble);
  const auto overlap = [](double low, double high, int64_t count) {
    const auto start = torch::arange(count, torch::kDouble);
    return (torch::minimum(start + 1, torch::full_like(start, high)) - torch::maximum(start, torch::full_like(start, low)))
        .clamp(0, 1);
  };
  const auto exact = overlap(y0, y1, 48).view({48, 1}) * overlap(x0, x1, 48).view({1, 48});
  // Along the sides the ramp is the exact area; only the four corner pixels,
  // where the nearest point is a corner, differ.
  auto corner = torch::zeros({48, 48}, torch::kBool);
  for (const int y : {12, 39}) {
    for (const int x : {10, 30}) corner[y][x] = true;
  }
  const auto error = (drawn - exact).abs();
  EXPECT_LT(error.masked_fill(corner, 0).max().item<double>(), 1e-5);
  EXPECT_LT(error.masked_select(corner).max().item<double>(), 0.25);
  EXPECT_NEAR(drawn.sum().item<double>(), (x1 - x0) * (y1 - y0), 0.5);
}

TEST(SoftRaster, ACircleMatchesItsExactCoverage) {
  const double cx = 24.2, cy = 23.7, r = 15.3;
  const int vertices = 512;
  const auto angles = torch::arange(vertices, torch::kDouble) * (2 * M_PI / vertices);
  const auto outline = torch::stack({cx + r * torch::cos(angles), cy + r * torch::sin(angles)}, 1)
                           .to(torch::kFloat)
                           .unsqueeze(0);
  const auto drawn = box_coverage(outline, 48, 48).to(torch::kDouble);
  const auto exact = disc_area(cx, cy, r, 48, 48);
  const auto error = (drawn - exact).abs();
  const auto boundary = exact.gt(0) & exact.lt(1);
  std::printf("circle r %.1f: area %.2f (exact %.2f), boundary pixels %lld: mean error %.4f, largest %.4f\n", r,
              drawn.sum().item<double>(), M_PI * r * r, static_cast<long long>(boundary.sum().item<int64_t>()),
              error.masked_select(boundary).mean().item<double>(), error.max().item<double>());
  // The ramp is exact across straight edges; across this curve it was
  // measured at a mean error of 0.014 and at most 0.046 a boundary pixel,
  // the area within 0.04%.
  EXPECT_NEAR(drawn.sum().item<double>(), M_PI * r * r, 0.002 * M_PI * r * r);
  EXPECT_LT(error.masked_select(boundary).mean().item<double>(), 0.02);
  EXPECT_LT(error.max().item<double>(), 0.06);
}

TEST(BezierPaths, FourCurvesMakeACircleAndTheSvgDataNamesEveryPoint) {
  // The usual cubic approximation of a circle: control points k r along the tangents.
  const double k = 0.5522847498, r = 15.0, c = 24.0;
  const std::vector<float> points{
      float(c + r), float(c),         float(c + r), float(c + k * r), float(c + k * r), float(c + r),
      float(c),     float(c + r),     float(c - k * r), float(c + r), float(c - r), float(c + k * r),
      float(c - r), float(c),         float(c - r), float(c - k * r), float(c - k * r), float(c - r),
      float(c),     float(c - r),     float(c + k * r), float(c - r), float(c + r), float(c - k * r)};
  const auto control = torch::tensor(points).view({1, 12, 2});
  ASSERT_EQ(control_point_count(4, true), 12);
  const auto outline = flatten_paths(control, 4, true);
  ASSERT_EQ(outline.sizes(), (std::vector<int64_t>{1, 4 * kSamplesPerCurve, 2}));
  const auto drawn = box_coverage(outline, 48, 48);
  EXPECT_NEAR(drawn.sum().item<double>(), M_PI * r * r, 0.01 * M_PI * r * r);
  EXPECT_EQ(svg_path_data(control[0], 4, true),
            "M39.000 24.000 C39.000 32.284 32.284 39.000 24.000 39.000 C15.716 39.000 9.000 32.284 9.000 24.000 "
            "C9.000 15.716 15.716 9.000 24.000 9.000 C32.284 9.000 39.000 15.716 39.000 24.000 Z");
  // An open path of one curve: its four points, and the flattened line ends at the last.
  const auto open = torch::tensor({0.0f, 0.0f, 10.0f, 0.0f, 20.0f, 10.0f, 30.0f, 10.0f}).view({1, 4, 2});
  EXPECT_EQ(svg_path_data(open[0], 1, false), "M0.000 0.000 C10.000 0.000 20.000 10.000 30.000 10.000");
  const auto line = flatten_paths(open, 1, false);
  ASSERT_EQ(line.size(1), kSamplesPerCurve + 1);
  EXPECT_TRUE(torch::equal(line[0][kSamplesPerCurve], open[0][3]));
}

TEST(SoftRaster, StrokesMeasureToTheLineAndTheEvenOddRuleLeavesAPentagramsMiddleOut) {
  const auto segment = polyline({10, 10, 30, 10});
  const auto points = torch::tensor({20.5f, 14.5f, 35.5f, 10.5f, 5.0f, 10.0f}).view({3, 2});
  const auto distance = signed_distance(segment, points, false)[0];
  EXPECT_NEAR(distance[0].item<double>(), 4.5, 1e-4);
  EXPECT_NEAR(distance[1].item<double>(), std::hypot(5.5, 0.5), 1e-4);
  EXPECT_NEAR(distance[2].item<double>(), 5.0, 1e-4);

  // A five-pointed star drawn in one stroke: its middle is crossed twice.
  std::vector<float> star;
  for (int i = 0; i < 5; ++i) {
    const double angle = -M_PI / 2 + i * 4 * M_PI / 5;
    star.push_back(static_cast<float>(50 + 40 * std::cos(angle)));
    star.push_back(static_cast<float>(50 + 40 * std::sin(angle)));
  }
  const auto outline = torch::tensor(star).view({1, 5, 2});
  const auto probes = torch::tensor({50.0f, 50.0f, 50.0f, 15.0f, 0.0f, 0.0f}).view({3, 2});
  const auto sd = signed_distance(outline, probes, true)[0];
  EXPECT_GT(sd[0].item<double>(), 0) << "the middle is outside under even-odd";
  EXPECT_LT(sd[1].item<double>(), 0) << "a point's tip is inside";
  EXPECT_GT(sd[2].item<double>(), 0);
}

TEST(SoftRaster, GradientsMatchFiniteDifferences) {
  auto generator = make_random_generator(3, torch::kCPU);
  const auto pixels = pixel_centres(24, 20, kCpu).to(torch::kDouble);
  const auto weights = torch::randn({1, 24 * 20}, generator).to(torch::kDouble);
  const auto loss_of = [&](const torch::Tensor& vertices) {
    return (coverage(signed_distance(vertices, pixels, true), 3.0) * weights).sum();
  };
  auto vertices = torch::tensor({4.3, 3.1, 19.7, 5.2, 12.4, 16.8}, torch::kDouble).view({1, 3, 2}).requires_grad_(true);
  loss_of(vertices).backward();
  const auto analytic = vertices.grad().flatten();
  const double step = 1e-4;
  for (int64_t i = 0; i < 6; ++i) {
    auto plus = vertices.detach().clone();
    auto minus = vertices.detach().clone();
    plus.view({-1})[i] += step;
    minus.view({-1})[i] -= step;
    const double numeric = (loss_of(plus).item<double>() - loss_of(minus).item<double>()) / (2 * step);
    EXPECT_NEAR(analytic[i].item<double>(), numeric, 1e-3 * std::max(1.0, std::abs(numeric))) << "coordinate " << i;
  }
}

TEST(SoftRaster, TheChunkedNearestEdgeSearchEqualsUnchunkedParts) {
  // Chunks hold at most 256 Ki elements (paths x pixels x edges). 24 paths x
  // 32 x 32 pixels x 32 edges are searched in chunks of 8 paths; each path
  // alone in one piece.
  auto generator = make_random_generator(7, torch::kCPU);
  const auto vertices = (torch::rand({24, 32, 2}, generator) * 32).requires_grad_(true);
  const auto pixels = pixel_centres(32, 32, kCpu);
  for (const bool closed : {true, false}) {
    const auto together = signed_distance(vertices, pixels, closed);
    for (int64_t i = 0; i < 24; ++i) {
      ASSERT_TRUE(torch::equal(together[i], signed_distance(vertices.narrow(0, i, 1), pixels, closed)[0]))
          << "path " << i << (closed ? " closed" : " open");
    }
  }
  // One path of 16 edges over 200 x 200 pixels is searched in chunks of
  // 16 Ki pixels; pieces of 10,000 pixels in one piece each.
  const auto big = pixel_centres(200, 200, kCpu);
  const auto path = vertices.narrow(0, 0, 1).narrow(1, 0, 16) * 6;
  std::vector<torch::Tensor> pieces;
  for (int64_t first = 0; first < 40000; first += 10000) {
    pieces.push_back(signed_distance(path, big.narrow(0, first, 10000), true));
  }
  EXPECT_TRUE(torch::equal(signed_distance(path, big, true), torch::cat(pieces, 1)));
}

TEST(SoftRaster, PathsCompositeBackToFrontOverTheBackground) {
  // One pixel; a half-opaque red path behind a half-opaque blue one, over green.
  const auto alpha = torch::tensor({0.5f, 0.5f}).view({2, 1});
  const auto colours = torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f}).view({2, 3});
  const auto background = torch::tensor({0.0f, 1.0f, 0.0f});
  const auto picture = composite(alpha, colours, background, 1, 1).flatten();
  // ((green / 2 + red / 2) / 2 + blue / 2)
  EXPECT_TRUE(torch::allclose(picture, torch::tensor({0.25f, 0.25f, 0.5f}), 0, 1e-6)) << picture;
  EXPECT_TRUE(torch::equal(composite(torch::zeros({0, 4}), torch::zeros({0, 3}), background, 2, 2),
                           background.view({1, 3, 1, 1}).expand({1, 3, 2, 2})));
}

}  // namespace
}  // namespace vqclip::drawers
