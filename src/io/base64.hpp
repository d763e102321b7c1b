#pragma once
// Base64 (RFC 4648, the standard alphabet, with padding) for bytes carried in
// JSON: embeddings in the old search index, pictures in the server's requests
// and answers.
#include <optional>
#include <string>
#include <string_view>

namespace vqclip {

std::string base64_encode(std::string_view bytes);

// Nothing when `text` is not padded base64 (whitespace is not skipped).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vqclip
