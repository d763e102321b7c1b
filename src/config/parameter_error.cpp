#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string spelled(const std::string& field, const std::string& problem, const std::vector<std::string>& mentions,
                    const ParameterError::FieldNamer& name_of) {
  std::string text = problem;
  for (const auto& mention : mentions) {
    const std::string marker = "{" + mention + "}";
    const std::string name = name_of(mention);
    for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + name.size())) {
      text.replace(at, marker.size(), name);
    }
  }
  return name_of(field) + " " + text;
}

std::string as_is(std::string_view field) { return std::string(field); }

}  // namespace

ParameterError::ParameterError(std::string field, std::string problem, std::vector<std::string> mentions)
    : UsageError(spelled(field, problem, mentions, as_is)),
      field_(std::move(field)),
      problem_(std::move(problem)),
      mentions_(std::move(mentions)) {}

std::string ParameterError::describe(const FieldNamer& name_of) const {
  return spelled(field_, problem_, mentions_, name_of);
}

}  // namespace vqclip
