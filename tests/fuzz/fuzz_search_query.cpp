// Fuzzes the search query language: the input split at NUL bytes into the
// shell's words gives either a usage error or terms that each have a finite,
// non-zero weight and exactly one of a text and an image file.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      arguments.emplace_back();
    } else {
      arguments.back() += static_cast<char>(data[i]);
    }
  }
  try {
    const auto query = vqclip::parse_search_query(arguments);
    require(!query.empty());
    for (const auto& term : query) {
      require(std::isfinite(term.weight) && term.weight != 0);
      require(term.text.empty() != term.image.empty());
      require(!vqclip::describe(term).empty());
    }
  } catch (const vqclip::UsageError&) {
  }
  return 0;
}
