#include "tokenizer/html_unescape.hpp"

#include <algorithm>
#include <cstring>

#include "tokenizer/html_tables.hpp"
#include "tokenizer/utf8.hpp"

namespace vqclip {
namespace {

const char* find_reference(const html::NamedReference* table, size_t count, const std::string& name) {
  const auto* end = table + count;
  const auto* it = std::lower_bound(table, end, name, [](const html::NamedReference& entry, const std::string& key) {
    return std::strcmp(entry.name, key.c_str()) < 0;
  });
  return it != end && name == it->name ? it->value : nullptr;
}

const char* html5_reference(const std::string& name) {
  return find_reference(html::kHtml5References, html::kHtml5ReferenceCount, name);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ascii_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

size_t digit_run(std::string_view text, size_t from, bool hex) {
  size_t end = from;
  while (end < text.size() && (hex ? is_hex_digit(text[end]) : is_digit(text[end]))) ++end;
  return end - from;
}

// What Python's html.unescape makes of a numeric reference (HTML5 rules).
std::string numeric_reference(std::string_view digits, bool hex) {
  char32_t value = 0;
  for (const char c : digits) {
    const char32_t digit = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    value = std::min<char32_t>(value * (hex ? 16 : 10) + digit, 0x110000);  // saturate past U+10FFFF
  }
  if (value == 0) return utf8_encode(0xFFFD);
  if (value == 0x0D) return "\r";
  if (value >= 0x80 && value <= 0x9F) return utf8_encode(html::kWindows1252C1[value - 0x80]);
  if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return utf8_encode(0xFFFD);
  const bool invalid = (value >= 0x01 && value <= 0x08) || value == 0x0B || (value >= 0x0E && value <= 0x1F) ||
                       value == 0x7F || (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE;
  return invalid ? std::string() : utf8_encode(value);
}

// A character Python's reference pattern allows in an entity name.
bool is_name_byte(char c) { return std::string_view("\t\n\f <&#;").find(c) == std::string_view::npos; }

}  // namespace

std::string python_html_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    const size_t start = i + 1;
    if (start < text.size() && text[start] == '#') {
      const bool hex = start + 2 < text.size() && (text[start + 1] | 0x20) == 'x' && is_hex_digit(text[start + 2]);
      const size_t from = start + (hex ? 2 : 1);
      const size_t length = digit_run(text, from, hex);
      if (length == 0) {
        out += text[i++];
        continue;
      }
      out += numeric_reference(text.substr(from, length), hex);
      i = from + length;
      if (i < text.size() && text[i] == ';') ++i;
      continue;
    }
    // A name of at most 32 code points, then an optional ';'.
    size_t end = start;
    for (int count = 0; count < 32 && end < text.size() && is_name_byte(text[end]); ++count) {
      end += utf8_sequence_length(static_cast<unsigned char>(text[end]));
    }
    end = std::min(end, text.size());
    if (end == start) {
      out += text[i++];
      continue;
    }
    std::string name(text.substr(start, end - start));
    if (end < text.size() && text[end] == ';') name += ';';
    i = start + name.size();
    if (const char* value = html5_reference(name)) {
      out += value;
      continue;
    }
    // The longest known prefix (the legacy names need no ';': "&notit;" -> "¬it;").
    bool replaced = false;
    for (size_t length = name.size() - 1; length >= 2 && !replaced; --length) {
      if (const char* value = html5_reference(name.substr(0, length))) {
        out += value;
        out += name.substr(length);
        replaced = true;
      }
    }
    if (!replaced) out += "&" + name;
  }
  return out;
}

std::string ftfy_html_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // "&" "#"? 1..24 ASCII letters or digits ";"
    const bool numeric = i + 1 < text.size() && text[i + 1] == '#';
    const size_t from = i + (numeric ? 2 : 1);
    size_t end = from;
    while (text[i] == '&' && end < text.size() && end - from <= 24 && is_ascii_alnum(text[end])) ++end;
    const size_t length = end - from;
    if (text[i] != '&' || length == 0 || length > 24 || end >= text.size() || text[end] != ';') {
      out += text[i++];
      continue;
    }
    const std::string_view body = text.substr(from, length);
    const std::string_view whole = text.substr(i, end + 1 - i);
    i = end + 1;
    if (numeric) {
      // Decoded only when Python would consume the whole reference, ';' included.
      const bool hex = (body[0] | 0x20) == 'x';
      const auto digits = body.substr(hex ? 1 : 0);
      const bool whole_number = !digits.empty() && digit_run(digits, 0, hex) == digits.size();
      const std::string value = whole_number ? numeric_reference(digits, hex) : std::string();
      out += whole_number && value != ";" ? value : std::string(whole);
      continue;
    }
    const std::string name = std::string(body) + ";";
    const char* value = html5_reference(name);
    if (!value) value = find_reference(html::kFtfyUppercaseReferences, html::kFtfyUppercaseReferenceCount, name);
    out += value ? std::string(value) : std::string(whole);
  }
  return out;
}

}  // namespace vqclip
