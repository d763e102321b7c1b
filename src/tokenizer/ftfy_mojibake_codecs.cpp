#include "tokenizer/ftfy_mojibake_codecs.hpp"

#include <algorithm>

#include "tokenizer/utf8.hpp"

namespace vqclip::mojibake {
namespace {

bool in_range(std::string_view bytes, size_t i, unsigned char low, unsigned char high) {
  if (i >= bytes.size()) return false;
  const auto byte = static_cast<unsigned char>(bytes[i]);
  return byte >= low && byte <= high;
}

bool is_byte(std::string_view bytes, size_t i, unsigned char value) { return in_range(bytes, i, value, value); }

// ftfy finds its variant forms with Python regexes whose `$` also matches
// before a final "\n", so the last byte of such a form may be that newline.
bool is_final_newline(std::string_view bytes, size_t i) { return i + 1 == bytes.size() && bytes[i] == '\n'; }

// Strict UTF-8; with `variants`, also ftfy's CESU-8 pairs and Java's C0 80.
std::optional<std::u32string> decode(std::string_view bytes, bool variants) {
  std::u32string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    if (variants && is_byte(bytes, i, 0xC0)) {  // Java's two-byte U+0000
      if (!is_byte(bytes, i + 1, 0x80) && !is_final_newline(bytes, i + 1)) return std::nullopt;
      out += U'\0';
      i += 2;
      continue;
    }
    if (variants && is_byte(bytes, i, 0xED) && in_range(bytes, i + 1, 0xA0, 0xBF)) {
      // A surrogate: only a CESU-8 pair decodes.
      const bool pair = in_range(bytes, i + 1, 0xA0, 0xAF) && in_range(bytes, i + 2, 0x80, 0xBF) &&
                        is_byte(bytes, i + 3, 0xED) && in_range(bytes, i + 4, 0xB0, 0xBF) &&
                        (in_range(bytes, i + 5, 0x80, 0xBF) || is_final_newline(bytes, i + 5));
      if (!pair) return std::nullopt;
      const auto byte = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(bytes[i + k])); };
      out += 0x10000 + ((byte(1) & 0x0F) << 16) + ((byte(2) & 0x3F) << 10) + ((byte(4) & 0x0F) << 6) + (byte(5) & 0x3F);
      i += 6;
      continue;
    }
    char32_t c = 0;
    const size_t length = utf8_next_strict(bytes, i, c);
    if (length == 0) return std::nullopt;
    out += c;
    i += length;
  }
  return out;
}

}  // namespace

std::optional<std::string> encode(std::u32string_view text, const Codec& codec) {
  std::string out;
  out.reserve(text.size());
  const auto* end = codec.entries + codec.entry_count;
  for (const char32_t c : text) {
    if (c < 0x80 && c != 0x1A) {
      out += static_cast<char>(c);
      continue;
    }
    const auto* it = std::lower_bound(codec.entries, end, c,
                                      [](const CodecEntry& entry, char32_t value) { return entry.code_point < value; });
    if (it == end || it->code_point != c) return std::nullopt;
    out += static_cast<char>(it->byte);
  }
  return out;
}

std::optional<std::u32string> decode_utf8(std::string_view bytes) { return decode(bytes, /*variants=*/false); }

std::optional<std::u32string> decode_utf8_variants(std::string_view bytes) {
  return decode(bytes, /*variants=*/true);
}

}  // namespace vqclip::mojibake
