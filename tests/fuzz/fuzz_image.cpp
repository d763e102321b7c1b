// Fuzzes picture decoding (stb: PNG, JPEG, BMP, GIF; no other format) behind vqclip's
// header check: a picture within the pixel limit whose bytes match its size,
// or an InputError.
#include "fuzz_support.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool limited = [] {
    vqclip::set_max_image_pixels(1 << 20);  // keeps each run fast; the check is what is fuzzed
    return true;
  }();
  require(limited);
  const auto path = vqclip::fuzz::write_input("picture", data, size);
  try {
    const auto image = vqclip::read_image(path);
    require(image.width > 0 && image.height > 0 && int64_t{image.width} * image.height <= (1 << 20));
    require(image.pixels.size() == static_cast<size_t>(image.width) * image.height * 3);
  } catch (const vqclip::InputError&) {
  }
  return 0;
}
