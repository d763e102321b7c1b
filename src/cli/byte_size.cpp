#include "cli/byte_size.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <string>

namespace vqclip::cli {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// log2 of the unit's size in bytes, or -1.
int unit_shift(const std::string& unit) {
  if (unit.empty() || unit == "b") return 0;
  constexpr std::array<char, 4> prefixes{'k', 'm', 'g', 't'};
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string p(1, prefixes[i]);
    if (unit == p || unit == p + "b" || unit == p + "ib") return static_cast<int>(10 * (i + 1));
  }
  return -1;
}

}  // namespace

std::optional<int64_t> parse_byte_size(std::string_view text) {
  size_t digits = 0;
  bool point = false;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || (text[digits] == '.' && !point))) {
    point = point || text[digits] == '.';
    ++digits;
  }
  if (digits == 0 || digits > 24 || (digits == 1 && point)) return std::nullopt;
  const int shift = unit_shift(lowercase(text.substr(digits)));
  if (shift < 0) return std::nullopt;
  const double bytes = std::stod(std::string(text.substr(0, digits))) * std::ldexp(1.0, shift);
  if (!(bytes <= std::ldexp(1.0, 62))) return std::nullopt;
  return static_cast<int64_t>(std::llround(bytes));
}

}  // namespace vqclip::cli
