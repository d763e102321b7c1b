#include "io/jpeg_tables.hpp"

#include <cstdint>

namespace vqclip {
namespace {

uint8_t byte_at(std::string_view bytes, size_t at) {
  return at < bytes.size() ? static_cast<uint8_t>(bytes[at]) : 0;  // past the end reads as 0, as in stb
}

bool standalone(uint8_t marker) {
  return marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7);
}

}  // namespace

std::optional<std::string> jpeg_huffman_table_problem(std::string_view bytes) {
  size_t at = 0;
  while (byte_at(bytes, at) == 0xFF && byte_at(bytes, at + 1) == 0xFF) ++at;  // stb skips fill bytes before SOI too
  if (byte_at(bytes, at) != 0xFF || byte_at(bytes, at + 1) != 0xD8) return std::nullopt;
  at += 2;
  while (at + 1 < bytes.size()) {
    if (byte_at(bytes, at) != 0xFF) {  // entropy-coded data, or garbage a decoder skips
      ++at;
      continue;
    }
    const uint8_t marker = byte_at(bytes, at + 1);
    if (marker == 0xFF || standalone(marker)) {  // fill byte, stuffing, restart and the like
      at += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (marker == 0xD9) break;  // end of image
    const size_t length = size_t{byte_at(bytes, at + 2)} << 8 | byte_at(bytes, at + 3);
    if (marker != 0xC4) {
      at += 2 + length;
      continue;
    }
    // Define Huffman tables: as stb reads them, 17 bytes and the codes per table until the length is used up.
    long left = static_cast<long>(length) - 2;
    size_t table = at + 4;
    while (left > 0) {
      int codes = 0;
      for (int i = 1; i <= 16; ++i) codes += byte_at(bytes, table + static_cast<size_t>(i));
      if (codes > 256) {
        return "a Huffman table of " + std::to_string(codes) + " codes (at most 256) at byte " + std::to_string(table);
      }
      table += 17 + static_cast<size_t>(codes);
      left -= 17 + codes;
    }
    if (left != 0) break;  // a decoder stops here: the segment is corrupt
    at = table;
  }
  return std::nullopt;
}

}  // namespace vqclip
