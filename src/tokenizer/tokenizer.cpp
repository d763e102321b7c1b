#include <spdlog/spdlog.h>

#include <cstdio>

#include "tokenizer/clip_bpe.hpp"
#include "tokenizer/sentencepiece_tokenizer.hpp"
#include "tokenizer/utf8.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/tokenizer.hpp"

namespace vqclip {

namespace {

// At most `bytes` bytes of text, cut where a UTF-8 sequence starts.
std::string_view utf8_prefix(std::string_view text, size_t bytes) {
  if (text.size() <= bytes) return text;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return text.substr(0, bytes);
}

}  // namespace

TokenizedText Tokenizer::tokenize(std::string_view text) const {
  const auto& s = spec();
  TokenizedText result;
  auto [ids, pieces] = encode_with_pieces(text);
  const size_t room = s.context_length >= 2 ? static_cast<size_t>(s.context_length - 2) : 0;
  if (ids.size() > room) {
    // As the reference does with truncation on: keep the start, end with eos.
    result.dropped = ids.size() - room;
    ids.resize(room);
    pieces.resize(room);
    const auto start = utf8_prefix(text, 40);
    spdlog::warn("prompt truncated: {} token(s) dropped to fit the context length {} (\"{}{}\")", result.dropped,
                 s.context_length, start, start.size() < text.size() ? "..." : "");
  }
  result.ids.reserve(static_cast<size_t>(s.context_length));
  result.ids.push_back(s.bos_id);
  result.ids.insert(result.ids.end(), ids.begin(), ids.end());
  result.ids.push_back(s.eos_id);
  result.ids.resize(static_cast<size_t>(s.context_length), s.pad_id);
  result.pieces = std::move(pieces);
  return result;
}

std::unique_ptr<Tokenizer> make_tokenizer(const TokenizerSpec& spec) {
  if (spec.type == "clip_bpe") return std::make_unique<ClipBpeTokenizer>(spec);
  if (spec.type == "sentencepiece") return make_sentencepiece_tokenizer(spec);
  throw BundleError("unknown tokenizer type \"" + spec.type + "\" (expected clip_bpe or sentencepiece)");
}

void require_valid_utf8(std::string_view text, std::string_view what) {
  for (size_t i = 0; i < text.size();) {
    char32_t code_point = 0;
    const size_t length = utf8_next_strict(text, i, code_point);
    if (length == 0) {
      char byte_hex[8];
      std::snprintf(byte_hex, sizeof byte_hex, "0x%02X", static_cast<unsigned char>(text[i]));
      throw InputError(std::string(what) + " is not valid UTF-8: byte " + byte_hex + " at byte offset " +
                       std::to_string(i));
    }
    i += length;
  }
}

}  // namespace vqclip
