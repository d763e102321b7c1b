#include "vqclip/perceptor_settings.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

#include "params/value_checks.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/limits.hpp"

namespace vqclip {
namespace {

using checks::number;

// The whole of `text` as a number, or nothing.
std::optional<double> whole_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ExtraPerceptor> parse_perceptor(const std::string& text) {
  ExtraPerceptor perceptor{text, 1.0};
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    if (const auto weight = whole_number(text.substr(colon + 1))) {
      perceptor.bundle = text.substr(0, colon);
      perceptor.weight = *weight;
    }
  }
  if (perceptor.bundle.empty()) return std::nullopt;
  return perceptor;
}

std::string perceptor_text(const ExtraPerceptor& perceptor) {
  return perceptor.bundle.string() + ":" + number(perceptor.weight);
}

void validate(const PerceptorSettings& settings) {
  if (!(settings.clip_weight >= 0) || !std::isfinite(settings.clip_weight)) {
    throw ParameterError("clip_weight", number(settings.clip_weight) + ": expected a non-negative number");
  }
  if (settings.clip_weight != 1.0 && settings.extra.empty()) {
    throw ParameterError("clip_weight",
                         number(settings.clip_weight) +
                             ": weighs the bundle's CLIP against others, and there are none: it needs {perceptors}",
                         {"perceptors"});
  }
  if (settings.extra.size() > static_cast<size_t>(limits::kMaxPerceptors)) {
    throw ParameterError("perceptors", "given " + std::to_string(settings.extra.size()) + " times: at most " +
                                           std::to_string(limits::kMaxPerceptors) + " other CLIPs");
  }
  std::set<std::filesystem::path> named;
  for (const auto& perceptor : settings.extra) {
    if (perceptor.bundle.empty()) throw ParameterError("perceptors", "needs a bundle directory");
    if (!(perceptor.weight > 0) || !std::isfinite(perceptor.weight)) {
      throw ParameterError("perceptors", perceptor_text(perceptor) + ": expected a positive weight");
    }
    if (!named.insert(perceptor.bundle.lexically_normal()).second) {
      throw ParameterError("perceptors", perceptor.bundle.string() + " is named twice: give it one weight");
    }
  }
}

void add_perceptor_fields(nlohmann::json& json, const PerceptorSettings& settings) {
  nlohmann::json extra = nlohmann::json::array();
  for (const auto& perceptor : settings.extra) {
    extra.push_back({{"bundle", perceptor.bundle.string()}, {"weight", perceptor.weight}});
  }
  json["clip_weight"] = settings.clip_weight;
  json["perceptors"] = extra;
}

}  // namespace vqclip
