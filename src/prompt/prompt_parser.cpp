#include <cctype>
#include <cmath>

#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"

namespace vqclip {
namespace {

std::string trim(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == separator) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?, scanned once: a regex
// engine would recurse per character and a long run of digits overflows the stack.
bool is_number(std::string_view s) {
  size_t i = 0;
  const auto skip_sign = [&] {
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  };
  const auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > start;
  };
  skip_sign();
  const bool whole = digits();
  bool fraction = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (!whole && !fraction) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    skip_sign();
    if (!digits()) return false;
  }
  return i == s.size();
}

// A value as messages quote it: whole when short, else its start and its length,
// so that a megabyte prompt gives a one-line error, not a megabyte one.
std::string excerpt(std::string_view value) {
  constexpr size_t kLongest = 80;
  if (value.size() <= kLongest) return std::string(value);
  size_t cut = kLongest - 20;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return std::string(value.substr(0, cut)) + "... (" + std::to_string(value.size()) + " bytes)";
}

[[noreturn]] void fail(std::string_view field, std::string_view value, const std::string& why) {
  throw ParameterError(std::string(field), "'" + excerpt(value) + "': " + why);
}

double to_finite(const std::string& number, std::string_view field, std::string_view value) {
  const double parsed = std::strtod(number.c_str(), nullptr);
  if (!std::isfinite(parsed)) fail(field, value, "number '" + excerpt(number) + "' is out of range");
  return parsed;
}

// Splits `body` into head and a trailing ":number", if it has one.
bool take_numeric_suffix(std::string& body, std::string& number) {
  const size_t colon = body.rfind(':');
  if (colon == std::string::npos) return false;
  std::string candidate = trim(std::string_view(body).substr(colon + 1));
  if (!is_number(candidate)) return false;
  number = candidate;
  body = body.substr(0, colon);
  return true;
}

bool ends_with_digit(const std::string& s) { return !s.empty() && is_digit(s.back()); }

// text[:weight[:stop]] with the trailing numbers parsed off. With digit_guard,
// the numbers only count when the text before them does not end in a digit,
// so "ratio 3:2" and "at 10:30" stay text.
PromptSpec parse_weighted(std::string_view part, std::string_view field, std::string_view whole, bool digit_guard) {
  PromptSpec spec;
  std::string body(part);
  std::string head = body, last, before_last;
  if (take_numeric_suffix(head, last)) {
    std::string two = head;
    if (take_numeric_suffix(two, before_last) && !(digit_guard && ends_with_digit(two))) {
      spec.weight = to_finite(before_last, field, whole);
      spec.stop = to_finite(last, field, whole);
      body = two;
    } else if (!(digit_guard && ends_with_digit(head))) {
      spec.weight = to_finite(last, field, whole);
      body = head;
    }
  }
  spec.text = trim(body);
  if (spec.text.empty()) fail(field, whole, "a prompt has no text");
  return spec;
}

}  // namespace

std::vector<PromptPhase> parse_prompt(std::string_view value, std::string_view field) {
  if (trim(value).empty()) fail(field, value, "the prompt is empty");
  std::vector<PromptPhase> phases;
  const auto phase_parts = split(value, '^');
  for (size_t p = 0; p < phase_parts.size(); ++p) {
    if (trim(phase_parts[p]).empty()) fail(field, value, "story phase " + std::to_string(p + 1) + " is empty");
    PromptPhase phase;
    const auto prompt_parts = split(phase_parts[p], '|');
    for (size_t i = 0; i < prompt_parts.size(); ++i) {
      if (trim(prompt_parts[i]).empty()) {
        fail(field, value, "part " + std::to_string(i + 1) + " of phase " + std::to_string(p + 1) + " is empty");
      }
      phase.push_back(parse_weighted(prompt_parts[i], field, value, /*digit_guard=*/true));
    }
    phases.push_back(std::move(phase));
  }
  return phases;
}

std::vector<PromptPhase> merge_prompt_phases(const std::vector<std::vector<PromptPhase>>& values) {
  size_t phase_count = 0;
  for (const auto& value : values) phase_count = std::max(phase_count, value.size());
  std::vector<PromptPhase> merged(phase_count);
  for (size_t k = 0; k < phase_count; ++k) {
    for (const auto& value : values) {
      const auto& phase = value[std::min(k, value.size() - 1)];
      merged[k].insert(merged[k].end(), phase.begin(), phase.end());
    }
  }
  return merged;
}

PromptSpec parse_image_prompt(std::string_view value) {
  return parse_weighted(value, "image_prompts", value, /*digit_guard=*/false);
}

PromptSpec parse_noise_prompt(std::string_view value) {
  PromptSpec spec;
  std::string body(value);
  std::string weight;
  if (take_numeric_suffix(body, weight)) {
    spec.weight = to_finite(weight, "noise_prompts", value);
  }
  spec.text = trim(body);
  if (spec.text.empty() || spec.text.find_first_not_of("0123456789") != std::string::npos || spec.text.size() > 19) {
    fail("noise_prompts", value, "expected SEED[:weight] with SEED a non-negative integer");
  }
  return spec;
}

}  // namespace vqclip
