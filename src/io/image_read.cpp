#include <stb_image.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "io/jpeg_tables.hpp"
#include "io/webp_decode.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {
namespace {

std::atomic<int64_t> g_max_image_pixels{limits::kDefaultMaxImagePixels};

InputError over_pixel_limit(const std::filesystem::path& path, int width, int height) {
  return InputError(path.string() + ": " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels, more than the limit of " + std::to_string(max_image_pixels()) + " (max_image_pixels)");
}

}  // namespace

void set_max_image_pixels(int64_t pixels) { g_max_image_pixels = pixels; }

int64_t max_image_pixels() { return g_max_image_pixels; }

RgbImage read_image(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) throw InputError(path.string() + ": cannot read image (cannot read the file)");
  if (is_webp(bytes)) return decode_webp(bytes, path);
  if (const auto problem = jpeg_huffman_table_problem(bytes)) {
    throw InputError(path.string() + ": cannot read image (corrupt JPEG: " + *problem + ")");
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    throw InputError(path.string() + ": cannot read image (a file of more than 2 GiB)");
  }
  const auto* data_in = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  int width = 0, height = 0, channels = 0;
  // The header first: a file of a few kilobytes can declare gigapixels.
  // A BMP stores a top-down picture's height negated; stb reports it so.
  if (stbi_info_from_memory(data_in, size, &width, &height, &channels) &&
      std::abs(int64_t{width}) * std::abs(int64_t{height}) > max_image_pixels()) {
    throw over_pixel_limit(path, width, height);
  }
  // PNG (8 or 16 bits a channel; 16 are cut to their high byte), JPEG, BMP and
  // GIF (first frame) only: see stb_impl.cpp. WebP is libwebp's, above.
  unsigned char* data = stbi_load_from_memory(data_in, size, &width, &height, &channels, 3);
  if (!data) {
    const char* why = stbi_failure_reason();
    throw InputError(path.string() + ": cannot read image (" + (why ? why : "unknown reason") + ")");
  }
  if (width <= 0 || height <= 0) {  // stb "decodes" some damaged headers to an empty picture
    stbi_image_free(data);
    throw InputError(path.string() + ": " + std::to_string(width) + "x" + std::to_string(height) +
                     " pixels: an empty picture");
  }
  if (int64_t{width} * height > max_image_pixels()) {  // the header said less than stb decoded
    stbi_image_free(data);
    throw over_pixel_limit(path, width, height);
  }
  RgbImage image{width, height, std::vector<uint8_t>(data, data + static_cast<size_t>(width) * height * 3)};
  stbi_image_free(data);
  return image;
}

torch::Tensor image_to_tensor(const RgbImage& image) {
  const auto bytes = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {image.height, image.width, 3},
                                      torch::kUInt8);
  return bytes.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat).div(255).contiguous();
}

RgbImage tensor_to_image(const torch::Tensor& tensor) {
  auto t = tensor.detach().to(torch::kCPU, torch::kFloat);
  if (t.dim() == 4) t = t[0];
  const auto bytes = t.clamp(0, 1).mul(255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  RgbImage image{static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), {}};
  image.pixels.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
  return image;
}

torch::Tensor clip_preprocess(const RgbImage& image, int resolution, const std::array<float, 3>& mean,
                              const std::array<float, 3>& std) {
  namespace F = torch::nn::functional;
  // Resizing the shorter side to the resolution would make the longer one 64 times that or more.
  if (std::max(image.width, image.height) / std::min(image.width, image.height) >= limits::kMaxPictureAspect) {
    throw InputError("a picture of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                     ": its sides differ " + std::to_string(limits::kMaxPictureAspect) +
                     " times or more, too many for CLIP's centre crop");
  }
  const double scale = static_cast<double>(resolution) / std::min(image.width, image.height);
  const int64_t height = std::max<int64_t>(resolution, std::llround(image.height * scale));
  const int64_t width = std::max<int64_t>(resolution, std::llround(image.width * scale));
  const bool large = shrink_factor(image.width, image.height, static_cast<int>(width), static_cast<int>(height)) > 1;
  const auto picture =
      large ? image_to_tensor(shrink_for(image, static_cast<int>(width), static_cast<int>(height))) : image_to_tensor(image);
  // Bicubic with antialiasing, like PIL's resize in CLIP's preprocessing.
  auto resized = F::interpolate(picture, F::InterpolateFuncOptions()
                                             .size(std::vector<int64_t>{height, width})
                                             .mode(torch::kBicubic)
                                             .align_corners(false)
                                             .antialias(true));
  const int64_t top = (height - resolution) / 2;
  const int64_t left = (width - resolution) / 2;
  resized = resized.narrow(2, top, resolution).narrow(3, left, resolution).clamp(0, 1);
  const auto m = torch::tensor({mean[0], mean[1], mean[2]}).view({1, 3, 1, 1});
  const auto s = torch::tensor({std[0], std[1], std[2]}).view({1, 3, 1, 1});
  return ((resized - m) / s).contiguous();
}

}  // namespace vqclip
