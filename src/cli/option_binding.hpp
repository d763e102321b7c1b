#pragma once
// CLI11 bindings for the library's typed parameters: enums spelled by their
// name tables, and strictly parsed numbers (a whole token, no wrap-around).
// Ranges are the library's to check (validate()), so every entry point
// refuses the same values with the same words.
#include <CLI/CLI.hpp>

#include <charconv>
#include <string>

#include "cli/option_names.hpp"
#include "vqclip/enum_names.hpp"

namespace vqclip::cli {

// `text` as an integer of type T, or a CLI11 validation error naming `flag`.
template <typename T>
T parse_integer(const std::string& text, const std::string& flag, const std::string& expected) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) {
    throw CLI::ValidationError(flag + " " + text + ": expected " + expected);
  }
  return value;
}

// An option for the enum field `field`: its values are the enum's names.
template <typename Enum>
CLI::Option* add_enum_option(CLI::App& app, const char* field, Enum& target, const std::string& help) {
  const std::string flag = flag_of(field);
  auto* option = app.add_option_function<std::string>(
      option_names(field),
      [&target, flag](const std::string& text) {
        const auto value = enum_from_name<Enum>(text);
        if (!value) throw CLI::ValidationError(flag + " " + text + ": expected " + enum_choices<Enum>());
        target = *value;
      },
      help);
  std::string names;
  for (const auto& name : enum_names<Enum>()) names += (names.empty() ? "" : "|") + name;
  option->type_name(names);
  option->default_str(std::string(name_of(target)));
  return option;
}

}  // namespace vqclip::cli
