#pragma once
// WebP pictures (Debian's libwebp), which stb does not read.
#include <filesystem>
#include <optional>
#include <string>

#include "vqclip/image_io.hpp"

namespace vqclip {

// Whether `bytes` start as a WebP file does ("RIFF", a size, "WEBP").
bool is_webp(const std::string& bytes);

// The picture as RGB (alpha dropped, an animation's first frame), its
// declared size checked against max_image_pixels() before any pixel is
// decoded. Throws InputError naming `path`.
RgbImage decode_webp(const std::string& bytes, const std::filesystem::path& path);

}  // namespace vqclip
