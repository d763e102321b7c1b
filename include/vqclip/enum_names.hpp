#pragma once
// One name table per enum: the command line, --help, the JSON record and any
// later API spell an enum value the same way, from the same table. Each enum
// specialises EnumTable next to its declaration:
//   template <> struct EnumTable<Precision> {
//     static constexpr std::array<EnumName<Precision>, 3> names{{{Precision::kFp32, "fp32"}, ...}};
//   };
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vqclip {

template <typename Enum>
struct EnumName {
  Enum value;
  const char* name;
};

template <typename Enum>
struct EnumTable;

template <typename Enum>
std::string_view name_of(Enum value) {
  for (const auto& entry : EnumTable<Enum>::names) {
    if (entry.value == value) return entry.name;
  }
  return "unknown";
}

// The value named `name` exactly (names are lowercase), or nothing.
template <typename Enum>
std::optional<Enum> enum_from_name(std::string_view name) {
  for (const auto& entry : EnumTable<Enum>::names) {
    if (name == entry.name) return entry.value;
  }
  return std::nullopt;
}

template <typename Enum>
std::vector<std::string> enum_names() {
  std::vector<std::string> names;
  for (const auto& entry : EnumTable<Enum>::names) names.emplace_back(entry.name);
  return names;
}

// "fp32, fp16 or bf16", for messages.
template <typename Enum>
std::string enum_choices() {
  const auto names = enum_names<Enum>();
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + names[i];
  }
  return text;
}

}  // namespace vqclip
