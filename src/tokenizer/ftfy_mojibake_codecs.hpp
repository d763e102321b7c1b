#pragma once
// The codecs ftfy's mojibake repair moves text through: its single-byte codecs
// (text -> the bytes it was probably mis-decoded from) and two UTF-8 decoders
// (bytes -> the text that was meant), with Python's exact strictness.
#include <optional>
#include <string>
#include <string_view>

#include "tokenizer/ftfy_mojibake_tables.hpp"

namespace vqclip::mojibake {

// The bytes `text` is in `codec`; nullopt if some character has no byte there.
std::optional<std::string> encode(std::u32string_view text, const Codec& codec);

// Python's strict UTF-8 decoder: nullopt for any malformed, overlong,
// surrogate or truncated sequence.
std::optional<std::u32string> decode_utf8(std::string_view bytes);

// ftfy's "utf-8-variants": strict UTF-8 that also takes a CESU-8 surrogate pair
// (six bytes) for one supplementary character and Java's C0 80 for U+0000.
std::optional<std::u32string> decode_utf8_variants(std::string_view bytes);

}  // namespace vqclip::mojibake
