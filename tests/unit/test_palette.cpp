// The GIF palette: a picture of at most 256 colours, each in a histogram bin
// of its own, comes back exactly; one of many colours comes back close, with
// every palette entry used and each pixel at its nearest entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <random>
#include <set>

#include "video/palette.hpp"

namespace vqclip {
namespace {

uint32_t entry_of(const uint8_t* rgb) {
  return 0xFF000000u | static_cast<uint32_t>(rgb[0]) << 16 | static_cast<uint32_t>(rgb[1]) << 8 | rgb[2];
}

TEST(Palette, FewColoursComeBackExactly) {
  RgbImage picture;
  picture.width = 40;
  picture.height = 30;
  // 200 colours on distinct 5-bit bins (steps of 8 in each channel), repeated over the picture.
  std::vector<std::array<uint8_t, 3>> colours;
  for (int i = 0; i < 200; ++i) {
    colours.push_back({static_cast<uint8_t>((i % 8) * 32 + 3), static_cast<uint8_t>((i / 8 % 5) * 40 + 1),
                       static_cast<uint8_t>((i / 40) * 48 + 7)});
  }
  for (int i = 0; i < picture.width * picture.height; ++i) {
    const auto& colour = colours[static_cast<size_t>(i * 7) % colours.size()];
    picture.pixels.insert(picture.pixels.end(), colour.begin(), colour.end());
  }
  const auto indexed = quantise_to_palette(picture);
  EXPECT_EQ(indexed.colours, 200);
  ASSERT_EQ(indexed.indices.size(), 1200u);
  for (size_t i = 0; i < indexed.indices.size(); ++i) {
    ASSERT_EQ(indexed.palette[indexed.indices[i]], entry_of(&picture.pixels[i * 3])) << "pixel " << i;
  }
}

TEST(Palette, ManyColoursComeBackNearWithEveryEntryUsed) {
  RgbImage picture;
  picture.width = picture.height = 128;
  std::mt19937 random(5);
  for (int y = 0; y < picture.height; ++y) {
    for (int x = 0; x < picture.width; ++x) {  // gradients with a little noise: thousands of colours
      const int noise = static_cast<int>(random() % 9) - 4;
      picture.pixels.push_back(static_cast<uint8_t>(std::clamp(x * 2 + noise, 0, 255)));
      picture.pixels.push_back(static_cast<uint8_t>(std::clamp(y * 2 - noise, 0, 255)));
      picture.pixels.push_back(static_cast<uint8_t>(std::clamp(255 - x - y + noise, 0, 255)));
    }
  }
  const auto indexed = quantise_to_palette(picture);
  EXPECT_EQ(indexed.colours, 256);
  std::set<uint8_t> used(indexed.indices.begin(), indexed.indices.end());
  EXPECT_GT(used.size(), 240u);
  double error = 0;
  for (size_t i = 0; i < indexed.indices.size(); ++i) {
    const uint32_t entry = indexed.palette[indexed.indices[i]];
    for (int c = 0; c < 3; ++c) {
      error += std::abs(static_cast<int>((entry >> (16 - 8 * c)) & 0xFF) - picture.pixels[i * 3 + c]);
    }
  }
  EXPECT_LT(error / static_cast<double>(picture.pixels.size()), 5.0);  // levels of 255, on average
}

TEST(Palette, AnEmptyPictureHasNoColours) {
  const auto indexed = quantise_to_palette(RgbImage{});
  EXPECT_EQ(indexed.colours, 0);
  EXPECT_TRUE(indexed.indices.empty());
}

}  // namespace
}  // namespace vqclip
