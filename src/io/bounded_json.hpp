#pragma once
// JSON from outside the program (picture records, search indexes, batch
// manifests, vqclip.json), parsed with its nesting bounded: printing, copying
// or destroying a value recurses once per level, so a file of a million '['
// would overflow the stack.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace vqclip {

inline constexpr int kMaxJsonDepth = 64;

struct JsonTooDeep : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// As nlohmann::json::parse (throws its exceptions: parse_error for malformed
// text, out_of_range for a number too large), and JsonTooDeep for nesting
// beyond kMaxJsonDepth.
nlohmann::json parse_bounded_json(const std::string& text);

// Without exceptions: a discarded value (is_discarded()) for malformed or too deep text.
nlohmann::json parse_bounded_json_or_discarded(const std::string& text);

}  // namespace vqclip
