#pragma once
// Text without the blanks (spaces, tabs, line ends) at its ends: for values
// read from option lists and queries.
#include <string>
#include <string_view>

namespace vqclip {

inline std::string trim_blanks(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(kBlanks) - first + 1));
}

}  // namespace vqclip
