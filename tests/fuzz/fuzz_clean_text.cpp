// Fuzzes CLIP's text cleaning and both HTML unescapers on any valid UTF-8:
// no crash, no sanitizer report, and output that is valid UTF-8, trimmed and
// free of double spaces.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tokenizer/html_unescape.hpp"
#include "tokenizer/text_clean.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/tokenizer.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    vqclip::require_valid_utf8(text, "input");
  } catch (const vqclip::InputError&) {
    return 0;  // the tokenizers reject invalid UTF-8 before cleaning
  }
  vqclip::require_valid_utf8(vqclip::python_html_unescape(text), "python_html_unescape output");
  vqclip::require_valid_utf8(vqclip::ftfy_html_unescape(text), "ftfy_html_unescape output");
  for (const bool lowercase : {false, true}) {
    const auto cleaned = vqclip::clean_text(text, lowercase);
    vqclip::require_valid_utf8(cleaned, "clean_text output");  // throws, and so aborts the run, if not
    require(cleaned.empty() || (cleaned.front() != ' ' && cleaned.back() != ' '));
    require(cleaned.find("  ") == std::string::npos);
  }
  return 0;
}
