// Shrinking large pictures in 8 bits before any float copy (image_io.hpp).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "vqclip/image_io.hpp"

namespace vqclip {

int shrink_factor(int width, int height, int target_width, int target_height) {
  if (target_width <= 0 || target_height <= 0) return 1;
  return std::max(1, std::min(width / (2 * target_width), height / (2 * target_height)));
}

RgbImage shrink_for(RgbImage image, int target_width, int target_height) {
  const int k = shrink_factor(image.width, image.height, target_width, target_height);
  if (k < 2) return image;
  // The last width % k columns and height % k rows are left out: fewer than k
  // pixels of a picture at least 4k wide.
  RgbImage out{image.width / k, image.height / k, {}};
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  std::vector<uint32_t> sums(static_cast<size_t>(out.width) * 3);
  const uint32_t area = static_cast<uint32_t>(k) * static_cast<uint32_t>(k);
  for (int y = 0; y < out.height; ++y) {
    std::fill(sums.begin(), sums.end(), 0u);
    for (int dy = 0; dy < k; ++dy) {
      const uint8_t* row = &image.pixels[static_cast<size_t>(y * k + dy) * image.width * 3];
      for (int x = 0; x < out.width; ++x) {
        const uint8_t* block = row + static_cast<size_t>(x) * k * 3;
        for (int dx = 0; dx < k; ++dx) {
          sums[x * 3 + 0] += block[dx * 3 + 0];
          sums[x * 3 + 1] += block[dx * 3 + 1];
          sums[x * 3 + 2] += block[dx * 3 + 2];
        }
      }
    }
    uint8_t* target = &out.pixels[static_cast<size_t>(y) * out.width * 3];
    for (size_t i = 0; i < sums.size(); ++i) target[i] = static_cast<uint8_t>((sums[i] + area / 2) / area);
  }
  return out;
}

}  // namespace vqclip
