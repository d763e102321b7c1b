// pixray's extra losses (picture_losses.hpp) against hand computations on
// small pictures, their colour syntax, and their validation.
#include "test_env.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_losses.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

// A [1, 3, H, W] picture of one colour.
torch::Tensor flat(int width, int height, float r, float g, float b) {
  return torch::tensor({r, g, b}).view({1, 3, 1, 1}).expand({1, 3, height, width}).contiguous();
}

double loss_of(const torch::Tensor& picture, const PictureLosses& losses) {
  return picture_loss(picture, losses).item<double>();
}

TEST(PictureLosses, SmoothnessIsTheMeanSquaredStepBetweenNeighbours) {
  PictureLosses losses;
  losses.smoothness = 2;
  EXPECT_EQ(loss_of(flat(4, 4, 0.3f, 0.3f, 0.3f), losses), 0);
  // Columns alternating 0 and 1: every horizontal step is 1, no vertical one.
  const auto stripes = torch::arange(4).remainder(2).to(torch::kFloat).view({1, 1, 1, 4}).expand({1, 3, 4, 4});
  EXPECT_NEAR(loss_of(stripes, losses), 2 * 1.0, 1e-6);
}

TEST(PictureLosses, SymmetryIsZeroForAMirroredPictureAndCountsTheDifferenceOtherwise) {
  PictureLosses losses;
  losses.symmetry = 1;
  const auto symmetric = torch::tensor({0.f, 1.f, 1.f, 0.f}).view({1, 1, 1, 4}).expand({1, 3, 2, 4});
  EXPECT_EQ(loss_of(symmetric, losses), 0);
  // Left half 1, right half 0: every pixel differs from its mirror by 1.
  const auto halves = torch::tensor({1.f, 1.f, 0.f, 0.f}).view({1, 1, 1, 4}).expand({1, 3, 2, 4});
  EXPECT_NEAR(loss_of(halves, losses), 1.0, 1e-6);
}

TEST(PictureLosses, SaturationRewardsVividColourWhenPositive) {
  PictureLosses losses;
  losses.saturation = 0.5;
  EXPECT_EQ(loss_of(flat(2, 2, 0.4f, 0.4f, 0.4f), losses), 0) << "grey has none";
  EXPECT_NEAR(loss_of(flat(2, 2, 1.f, 0.f, 0.f), losses), -0.5, 1e-6) << "pure red has saturation 1";
  losses.saturation = -1;
  EXPECT_NEAR(loss_of(flat(2, 2, 0.9f, 0.2f, 0.5f), losses), 0.7, 1e-6) << "negative: greys wanted";
}

TEST(PictureLosses, TheColourPullCountsTheDistanceToTheNearestColour) {
  PictureLosses losses;
  losses.colours = {*parse_colour("#ff0000"), *parse_colour("#0000ff")};
  losses.colour_weight = 3;
  EXPECT_EQ(loss_of(flat(2, 2, 0.f, 0.f, 1.f), losses), 0);
  // (0.5, 0, 0): 0.25 from red, 1.25 from blue.
  EXPECT_NEAR(loss_of(flat(2, 2, 0.5f, 0.f, 0.f), losses), 3 * 0.25, 1e-6);
}

TEST(PictureLosses, TheEdgePullLooksAtTheBorderOnly) {
  PictureLosses losses;
  losses.edge_colour = *parse_colour("#000");
  losses.edge_weight = 1;
  losses.edge_width = 1;
  auto picture = torch::zeros({1, 3, 4, 4});
  picture.narrow(2, 1, 2).narrow(3, 1, 2).fill_(1);  // a white middle, a black border
  EXPECT_EQ(loss_of(picture, losses), 0);
  picture.narrow(3, 0, 1).fill_(1);  // the left column white: 4 of the 12 border pixels, distance 3 each
  EXPECT_NEAR(loss_of(picture, losses), 4.0 * 3 / 12, 1e-6);
}

TEST(PictureLosses, TheyAreDifferentiableAndOffByDefault) {
  PictureLosses none;
  EXPECT_FALSE(none.any());
  PictureLosses losses;
  losses.symmetry = 1;
  losses.smoothness = 1;
  const auto picture = torch::rand({1, 3, 8, 8}).requires_grad_(true);
  picture_loss(picture, losses).backward();
  ASSERT_TRUE(picture.grad().defined());
  EXPECT_GT(picture.grad().abs().sum().item<double>(), 0);
}

TEST(Colours, ParseTable) {
  EXPECT_EQ(parse_colour("#ff8000"), (Colour{1.f, 128 / 255.f, 0.f}));
  EXPECT_EQ(parse_colour("f80"), (Colour{1.f, 136 / 255.f, 0.f}));
  EXPECT_EQ(colour_text(*parse_colour("#1A2b3C")), "#1a2b3c");
  for (const char* bad : {"", "#", "#12", "#12345", "#gg0000", "red", "#ff00001"}) EXPECT_FALSE(parse_colour(bad)) << bad;
}

TEST(PictureLosses, ValidationNamesTheField) {
  const auto rejected = [](const PictureLosses& losses) -> std::string {
    try {
      validate(losses);
    } catch (const ParameterError& e) {
      return e.field();
    }
    return "";
  };
  PictureLosses losses;
  EXPECT_EQ(rejected(losses), "");
  losses.colour_weight = 1;
  EXPECT_EQ(rejected(losses), "colour_weight") << "a pull without colours";
  losses = {};
  losses.edge_weight = 1;
  EXPECT_EQ(rejected(losses), "edge_weight");
  losses = {};
  losses.smoothness = -1;
  EXPECT_EQ(rejected(losses), "smoothness");
  losses = {};
  losses.saturation = -2;
  EXPECT_EQ(rejected(losses), "") << "negative saturation wants greys";
}

}  // namespace
}  // namespace vqclip
