// PNG encoding with text chunks, and reading text chunks back.
#include <stb_image_write.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {
namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

uint32_t get_u32(const std::string& in, size_t at) {
  return (uint32_t(uint8_t(in[at])) << 24) | (uint32_t(uint8_t(in[at + 1])) << 16) |
         (uint32_t(uint8_t(in[at + 2])) << 8) | uint32_t(uint8_t(in[at + 3]));
}

std::string chunk(const std::string& type, const std::string& data) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put_u32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return out;
}

bool is_ascii(const std::string& s) {
  for (const unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// What a compressed text chunk may inflate to: a record is kilobytes, and a
// chunk of a few megabytes could otherwise inflate to gigabytes.
constexpr size_t kMaxInflatedBytes = size_t{16} << 20;

struct TooLarge {};

std::string inflate_all(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return {};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > kMaxInflatedBytes) {
      inflateEnd(&stream);
      throw TooLarge{};
    }
  }
  inflateEnd(&stream);
  return status == Z_STREAM_END ? out : std::string();
}

}  // namespace

std::string encode_png(const RgbImage& image, const PngText& metadata) {
  std::string png;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 3, image.pixels.data(), image.width * 3)) {
    throw InternalError("PNG encoding failed");
  }
  std::string chunks;
  for (const auto& [keyword, value] : metadata.text) {
    // tEXt is Latin-1; a non-ASCII value goes into an iTXt chunk instead.
    chunks += is_ascii(value) ? chunk("tEXt", keyword + '\0' + value)
                              : chunk("iTXt", keyword + std::string("\0\0\0\0\0", 5) + value);
  }
  for (const auto& [keyword, value] : metadata.itxt) {
    // keyword, NUL, compression flag 0, method 0, empty language, NUL, empty translation, NUL, text
    chunks += chunk("iTXt", keyword + std::string("\0\0\0\0\0", 5) + value);
  }
  constexpr size_t kIendSize = 12;
  png.insert(png.size() - kIendSize, chunks);
  return png;
}

std::vector<std::pair<std::string, std::string>> read_png_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string png = buffer.str();
  if (png.compare(0, 8, std::string(kSignature, 8)) != 0) throw InputError(path.string() + ": not a PNG file");

  const auto inflated = [&path](const std::string& compressed) {
    try {
      return inflate_all(compressed);
    } catch (const TooLarge&) {
      throw InputError(path.string() + ": a compressed text chunk inflates to more than " +
                       std::to_string(kMaxInflatedBytes >> 20) + " MiB");
    }
  };
  std::vector<std::pair<std::string, std::string>> texts;
  size_t at = 8;
  while (at + 12 <= png.size()) {
    const uint32_t length = get_u32(png, at);
    if (at + 12 + length > png.size()) throw InputError(path.string() + ": truncated PNG chunk at byte " + std::to_string(at));
    const std::string type = png.substr(at + 4, 4);
    const std::string data = png.substr(at + 8, length);
    const size_t nul = data.find('\0');
    if (nul != std::string::npos) {
      const std::string keyword = data.substr(0, nul);
      if (type == "tEXt") {
        texts.emplace_back(keyword, data.substr(nul + 1));
      } else if (type == "zTXt" && nul + 2 <= data.size()) {
        texts.emplace_back(keyword, inflated(data.substr(nul + 2)));
      } else if (type == "iTXt" && nul + 3 <= data.size()) {
        const bool compressed = data[nul + 1] != 0;
        const size_t language_end = data.find('\0', nul + 3);
        const size_t translated_end = language_end == std::string::npos ? language_end : data.find('\0', language_end + 1);
        if (translated_end != std::string::npos) {
          const std::string text = data.substr(translated_end + 1);
          texts.emplace_back(keyword, compressed ? inflated(text) : text);
        }
      }
    }
    if (type == "IEND") break;
    at += 12 + length;
  }
  return texts;
}

}  // namespace vqclip
