// The drawers (drawer.hpp): every drawer draws a picture of its size in
// [0, 1] whose gradient reaches every parameter, reproduces under a seed,
// starts from a picture close to that picture (tolerances below), and takes
// saved parameters back exactly; pixel art is made of cells and of at most
// its palette's colours; vector drawers anneal their edges, keep their
// parameters whatever the size, and write SVG.
#include <ATen/core/Generator.h>

#include <set>
#include <tuple>

#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

using test::tiny_models;

struct DrawerCase {
  const char* name;
  DrawerSettings settings;
};

DrawerSettings drawer(DrawerKind kind) {
  DrawerSettings settings;
  settings.kind = kind;
  return settings;
}

std::vector<DrawerCase> drawer_cases() {
  auto pixels_plain = drawer(DrawerKind::kPixels);
  pixels_plain.pixels.colour = PixelsColour::kRgb;
  pixels_plain.pixels.space = PixelsSpace::kPixel;
  auto pixels_fourier_rgb = drawer(DrawerKind::kPixels);
  pixels_fourier_rgb.pixels.colour = PixelsColour::kRgb;
  auto art_palette = drawer(DrawerKind::kPixelArt);
  art_palette.pixel_art.palette = 4;
  auto vector_mixed = drawer(DrawerKind::kVector);
  vector_mixed.vector.shapes = 4;
  vector_mixed.vector.strokes = 3;
  vector_mixed.vector.segments = 2;
  auto vector_strokes = drawer(DrawerKind::kVector);
  vector_strokes.vector.shapes = 0;
  vector_strokes.vector.strokes = 5;
  return {{"vqgan", drawer(DrawerKind::kVqgan)},
          {"pixels", drawer(DrawerKind::kPixels)},
          {"pixels_rgb_pixel", pixels_plain},
          {"pixels_rgb_fourier", pixels_fourier_rgb},
          {"pixel_art", drawer(DrawerKind::kPixelArt)},
          {"pixel_art_palette", art_palette},
          {"vector", drawer(DrawerKind::kVector)},
          {"vector_shapes_and_strokes", vector_mixed},
          {"vector_strokes", vector_strokes}};
}

class EachDrawer : public ::testing::TestWithParam<DrawerCase> {
 protected:
  std::unique_ptr<Drawer> make(uint64_t seed, int width = 32, int height = 24, const DrawerStart& start = {}) {
    auto generator = make_random_generator(seed, torch::kCPU);
    return make_drawer(tiny_models(), GetParam().settings, width, height, start, generator);
  }
};

TEST_P(EachDrawer, DrawsAPictureOfItsSizeInRangeWithGradientsToEveryParameter) {
  auto drawn = make(1);
  EXPECT_EQ(drawn->kind(), GetParam().settings.resolved_kind());
  const auto picture = drawn->draw(Precision::kFp32);
  ASSERT_EQ(picture.sizes(), (std::vector<int64_t>{1, 3, 24, 32}));
  EXPECT_EQ(picture.scalar_type(), torch::kFloat);
  EXPECT_GE(picture.min().item<float>(), 0.0f);
  EXPECT_LE(picture.max().item<float>(), 1.0f);
  // A loss that wants every pixel different gives every parameter a gradient.
  auto generator = make_random_generator(9, torch::kCPU);
  (picture * torch::randn(picture.sizes(), generator)).sum().backward();
  const auto parameters = drawn->parameters();
  ASSERT_FALSE(parameters.empty());
  for (size_t i = 0; i < parameters.size(); ++i) {
    ASSERT_TRUE(parameters[i].grad().defined()) << "parameter " << i;
    EXPECT_GT(parameters[i].grad().abs().sum().item<double>(), 0) << "parameter " << i;
  }
  EXPECT_TRUE(torch::allclose(drawn->picture(), picture.detach(), 0, 1e-6))
      << "picture() shows what draw() drew";
}

TEST_P(EachDrawer, TheSameSeedDrawsTheSamePictureAndAnotherSeedAnother) {
  const auto first = make(5)->picture();
  EXPECT_TRUE(torch::equal(first, make(5)->picture()));
  EXPECT_FALSE(torch::equal(first, make(6)->picture()));
}

TEST_P(EachDrawer, SavedParametersGiveTheSameDrawerAndWrongShapesAreRefused) {
  auto original = make(3);
  {
    torch::NoGradGuard no_grad;
    for (auto& parameter : original->parameters()) parameter.add_(0.05);  // as if optimised
    original->project();
  }
  std::vector<torch::Tensor> saved;
  for (const auto& parameter : original->parameters()) saved.push_back(parameter.detach().clone());
  auto generator = make_random_generator(99, torch::kCPU);
  const auto before = generator.current_seed();
  const auto again = make_drawer(tiny_models(), GetParam().settings, 32, 24, DrawerStart{{}, saved}, generator);
  EXPECT_TRUE(torch::equal(again->picture(), original->picture()));
  EXPECT_TRUE(torch::equal(torch::randn({4}, generator), torch::randn({4}, make_random_generator(before, torch::kCPU))))
      << "a drawer from saved parameters draws nothing from the run's generator";
  // Another size does not fit, except for the vector drawer's points, which
  // are fractions of the picture: one more path does not fit that.
  auto other = GetParam().settings;
  int width = 64;
  if (other.resolved_kind() == DrawerKind::kVector) {
    ++other.vector.strokes;
    width = 32;
  }
  EXPECT_THROW(make_drawer(tiny_models(), other, width, 24, DrawerStart{{}, saved}, generator), InputError);
}

INSTANTIATE_TEST_SUITE_P(Drawers, EachDrawer, ::testing::ValuesIn(drawer_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// A picture of flat 8 x 8 blocks in four colours away from pure black and
// white: every drawer can show it (pixel art with cells of 4 or 8 exactly).
torch::Tensor four_colour_blocks(int width, int height) {
  const auto colours = torch::tensor({0.9f, 0.1f, 0.1f, 0.1f, 0.2f, 0.8f, 0.95f, 0.9f, 0.2f, 0.1f, 0.6f, 0.2f})
                           .view({4, 3});
  const auto ys = torch::arange(height).div(8, "floor").view({height, 1});
  const auto xs = torch::arange(width).div(8, "floor").view({1, width});
  const auto index = (ys * 3 + xs * 5).remainder(4);
  return colours.index_select(0, index.flatten()).view({height, width, 3}).permute({2, 0, 1}).unsqueeze(0);
}

// A shapes-world picture: a red square on a blue background, what the tiny
// VQGAN was trained to reconstruct.
torch::Tensor red_square_on_blue(int width, int height) {
  auto picture = torch::tensor({0.1f, 0.2f, 0.9f}).view({1, 3, 1, 1}).repeat({1, 1, height, width});
  picture.narrow(2, height / 4, height / 2).narrow(3, width / 4, width / 2).copy_(
      torch::tensor({0.9f, 0.1f, 0.1f}).view({1, 3, 1, 1}).expand({1, 3, height / 2, width / 2}));
  return picture;
}

// Mean and largest absolute difference.
std::pair<double, double> difference(const torch::Tensor& a, const torch::Tensor& b) {
  const auto d = (a - b).abs();
  return {d.mean().item<double>(), d.max().item<double>()};
}

TEST(DrawerStartPicture, EveryDrawerStartsFromAPictureCloseToIt) {
  const auto blocks = four_colour_blocks(32, 24);
  auto palette = drawer(DrawerKind::kPixelArt);
  palette.pixel_art.palette = 4;
  auto plain = drawer(DrawerKind::kPixels);
  plain.pixels.colour = PixelsColour::kRgb;
  plain.pixels.space = PixelsSpace::kPixel;
  auto mosaic = drawer(DrawerKind::kVector);
  mosaic.vector.shapes = 12;
  mosaic.vector.strokes = 2;
  // Exact up to float rounding where the drawer can show the picture exactly;
  // the tiny VQGAN reconstructs a picture of its world only roughly (measured:
  // mean 0.18, largest 0.84 at 32x32; a random start is far from it).
  const std::vector<std::tuple<const char*, DrawerSettings, torch::Tensor, double, double>> cases{
      {"pixels", drawer(DrawerKind::kPixels), blocks, 1e-5, 1e-4},
      {"pixels rgb pixel", plain, blocks, 1e-5, 1e-4},
      {"pixel-art", drawer(DrawerKind::kPixelArt), blocks, 1e-5, 1e-4},
      {"pixel-art palette", palette, blocks, 1e-5, 1e-4},
      {"vqgan", drawer(DrawerKind::kVqgan), red_square_on_blue(32, 32), 0.25, 0.9},
      // A mosaic of 12 shapes over the 4 x 3 blocks; each is opaque to
      // 0.999, so 0.1% of the background shows through.
      {"vector", mosaic, blocks, 1e-3, 2e-3},
  };
  for (const auto& [name, settings, target, mean_tolerance, max_tolerance] : cases) {
    auto generator = make_random_generator(1, torch::kCPU);
    auto started = make_drawer(tiny_models(), settings, static_cast<int>(target.size(3)),
                               static_cast<int>(target.size(2)), DrawerStart{target, {}}, generator);
    started->set_progress(1.0);  // the vector drawer's edges as at the last step
    const auto [mean, largest] = difference(started->picture(), target);
    std::printf("%s: mean %.3g, largest %.3g\n", name, mean, largest);
    EXPECT_LE(mean, mean_tolerance) << name;
    EXPECT_LE(largest, max_tolerance) << name;
  }
}

TEST(PixelArt, CellsAreFlatAndAPaletteLimitsTheColours) {
  auto settings = drawer(DrawerKind::kPixelArt);
  settings.pixel_art.cell = 8;
  settings.pixel_art.palette = 3;
  auto generator = make_random_generator(4, torch::kCPU);
  auto art = make_drawer(tiny_models(), settings, 32, 16, {}, generator);
  const auto picture = art->picture()[0];  // [3, 16, 32]
  // Every 8 x 8 cell is one colour.
  const auto cells = picture.view({3, 2, 8, 4, 8});
  EXPECT_TRUE(torch::equal(cells, cells.amax({2, 4}, true).expand_as(cells)));
  std::set<std::tuple<float, float, float>> colours;
  const auto flat = picture.flatten(1).t().contiguous();
  for (int64_t i = 0; i < flat.size(0); ++i) {
    colours.insert({flat[i][0].item<float>(), flat[i][1].item<float>(), flat[i][2].item<float>()});
  }
  EXPECT_LE(colours.size(), 3u);
  EXPECT_GE(colours.size(), 2u) << "8 random cells choosing among 3 colours use more than one";
}

TEST(Vector, EdgesSharpenAsTheRunGoesOnAndTheSvgHasEveryPath) {
  auto settings = drawer(DrawerKind::kVector);
  settings.vector.shapes = 6;
  settings.vector.strokes = 2;
  auto generator = make_random_generator(2, torch::kCPU);
  auto vector = make_drawer(tiny_models(), settings, 40, 30, {}, generator);
  // Pixels between 0 and 1 coverage lie on ramps; fewer as the ramps narrow.
  const auto blended = [&](double progress) {
    vector->set_progress(progress);
    const auto picture = vector->picture();
    const auto edges = (picture.diff(1, 3).abs().sum(1) > 1e-6).sum().item<int64_t>();
    return edges;
  };
  const auto start = blended(0.0), middle = blended(0.5), end = blended(1.0);
  EXPECT_GT(start, middle);
  EXPECT_GT(middle, end);
  const auto svg = vector->svg();
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("width=\"40\" height=\"30\" viewBox=\"0 0 40 30\""), std::string::npos);
  size_t paths = 0, strokes = 0;
  for (size_t at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1)) ++paths;
  for (size_t at = svg.find("stroke-width"); at != std::string::npos; at = svg.find("stroke-width", at + 1)) ++strokes;
  EXPECT_EQ(paths, 8u);
  EXPECT_EQ(strokes, 2u);
  EXPECT_NE(svg.find("fill-rule=\"evenodd\""), std::string::npos);
  EXPECT_EQ(make_drawer(tiny_models(), drawer(DrawerKind::kPixels), 8, 8, {}, generator)->svg(), "")
      << "drawers without a vector form have no SVG";
}

}  // namespace
}  // namespace vqclip
