#include "io/webp_decode.hpp"

#include <webp/decode.h>

#include <memory>

#include "vqclip/errors.hpp"

namespace vqclip {

bool is_webp(const std::string& bytes) {
  return bytes.size() >= 12 && bytes.compare(0, 4, "RIFF") == 0 && bytes.compare(8, 4, "WEBP") == 0;
}

RgbImage decode_webp(const std::string& bytes, const std::filesystem::path& path) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  int width = 0, height = 0;
  if (!WebPGetInfo(data, bytes.size(), &width, &height) || width <= 0 || height <= 0) {
    throw InputError(path.string() + ": cannot read image (not a valid WebP header)");
  }
  if (int64_t{width} * height > max_image_pixels()) {
    throw InputError(path.string() + ": " + std::to_string(width) + "x" + std::to_string(height) +
                     " pixels, more than the limit of " + std::to_string(max_image_pixels()) + " (max_image_pixels)");
  }
  const std::unique_ptr<uint8_t, void (*)(void*)> pixels(WebPDecodeRGB(data, bytes.size(), &width, &height), WebPFree);
  if (!pixels) throw InputError(path.string() + ": cannot read image (corrupt WebP data)");
  return RgbImage{width, height, std::vector<uint8_t>(pixels.get(), pixels.get() + static_cast<size_t>(width) * height * 3)};
}

}  // namespace vqclip
