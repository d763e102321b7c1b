#pragma once
// Hand-made PNG pieces for tests: chunks of any type (as other writers, or
// hostile files, make them) and zlib-compressed text.
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace vqclip::test {

inline void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

// Length, type, data and CRC, as the PNG specification lays out a chunk.
inline std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put_u32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return out;
}

inline std::string zlib_compress(const std::string& text) {
  std::string out(compressBound(static_cast<uLong>(text.size())), '\0');
  uLongf size = static_cast<uLongf>(out.size());
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(text.data()),
                static_cast<uLong>(text.size()), 9) != Z_OK)
    throw std::runtime_error("zlib could not compress the test text");
  out.resize(size);
  return out;
}

// A PNG of a few dozen bytes whose header declares width x height, with
// `chunks` before its end (no pixel data: decoders refuse it, header readers do not).
inline std::string png_declaring(uint32_t width, uint32_t height, const std::string& chunks = "") {
  std::string header;
  put_u32(header, width);
  put_u32(header, height);
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", header) + chunks + png_chunk("IEND", "");
}

}  // namespace vqclip::test
