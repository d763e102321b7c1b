#pragma once
// Reading images (stb_image: PNG, JPEG, BMP, GIF first frame) and writing PNGs
// with text metadata, plus conversions to and from tensors.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "vqclip/limits.hpp"

namespace vqclip {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major RGB, 3 bytes per pixel
};

// The picture-size limit read_image() applies (limits::kDefaultMaxImagePixels
// unless set); process-wide, like libtorch's thread count (load_models() sets
// both from the context).
void set_max_image_pixels(int64_t pixels);
int64_t max_image_pixels();

// Throws InputError naming the file if it cannot be read or decoded, or is
// larger than max_image_pixels().
RgbImage read_image(const std::filesystem::path& path);

// [1, 3, H, W] float32 in [0, 1] on CPU.
torch::Tensor image_to_tensor(const RgbImage& image);

// A picture that is about to be resized down to target_width x target_height,
// shrunk first by the largest whole factor k that keeps at least twice those
// sides, each k x k block averaged in 8 bits; the picture itself when k < 2.
// The float resize that follows then works on a copy of at most 16x the
// target's pixels instead of one at full size (an 8192x8192 picture: 805 MB).
RgbImage shrink_for(RgbImage image, int target_width, int target_height);
int shrink_factor(int width, int height, int target_width, int target_height);
// Accepts [1,3,H,W] or [3,H,W] in [0,1] on any device; rounds to 8 bits.
RgbImage tensor_to_image(const torch::Tensor& tensor);

// PNG text chunks: `text` entries become tEXt (Latin-1 keyword and value),
// `itxt` entries become iTXt (UTF-8 value, uncompressed).
struct PngText {
  std::vector<std::pair<std::string, std::string>> text;
  std::vector<std::pair<std::string, std::string>> itxt;
};

// Encodes to PNG bytes in memory (stb_image_write) with the chunks inserted
// before IEND.
std::string encode_png(const RgbImage& image, const PngText& metadata);

// Reads every tEXt/iTXt/zTXt chunk of a PNG file: keyword -> value.
// Throws InputError if the file is not a PNG, or a compressed chunk inflates
// to more than 16 MiB.
std::vector<std::pair<std::string, std::string>> read_png_text(const std::filesystem::path& path);

// CLIP's preprocessing: resize the shorter side to `resolution` (bicubic),
// centre crop, normalise with mean/std. Returns [1,3,R,R] float32 on CPU.
torch::Tensor clip_preprocess(const RgbImage& image, int resolution,
                              const std::array<float, 3>& mean, const std::array<float, 3>& std);

}  // namespace vqclip
