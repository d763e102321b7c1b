#pragma once
// A picture reduced to 256 colours for GIF: the palette by median cut over a
// 5-bit-a-channel histogram of the picture, each pixel mapped to the nearest
// palette colour. No dithering: a dither pattern would change from frame to
// frame and read as shimmer in an animation.
#include <array>
#include <cstdint>
#include <vector>

#include "vqclip/image_io.hpp"

namespace vqclip {

struct IndexedPicture {
  std::array<uint32_t, 256> palette{};  // 0xAARRGGBB, opaque; unused entries black
  int colours = 0;                       // entries in use
  std::vector<uint8_t> indices;          // width * height, row-major
};

IndexedPicture quantise_to_palette(const RgbImage& picture);

}  // namespace vqclip
