#include "vqclip/picture_losses.hpp"

#include <cmath>
#include <cstdio>

#include "params/value_checks.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using checks::number;
using checks::require_non_negative;

void require_finite(const char* field, double value) {
  if (!std::isfinite(value)) throw ParameterError(field, number(value) + ": expected a finite number");
}


int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Colour> parse_colour(const std::string& text) {
  const std::string digits = !text.empty() && text[0] == '#' ? text.substr(1) : text;
  if (digits.size() != 3 && digits.size() != 6) return std::nullopt;
  const size_t per_channel = digits.size() / 3;
  Colour colour{};
  for (size_t channel = 0; channel < 3; ++channel) {
    int value = 0;
    for (size_t i = 0; i < per_channel; ++i) {
      const int digit = hex_digit(digits[channel * per_channel + i]);
      if (digit < 0) return std::nullopt;
      value = value * 16 + digit;
    }
    if (per_channel == 1) value *= 17;  // "#f00" is "#ff0000"
    colour[channel] = static_cast<float>(value) / 255.0f;
  }
  return colour;
}

std::string colour_text(const Colour& colour) {
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", static_cast<int>(std::lround(colour[0] * 255)),
                static_cast<int>(std::lround(colour[1] * 255)), static_cast<int>(std::lround(colour[2] * 255)));
  return text;
}

void validate(const PictureLosses& losses) {
  require_non_negative("smoothness", losses.smoothness);
  require_non_negative("symmetry", losses.symmetry);
  require_finite("saturation", losses.saturation);
  require_non_negative("colour_weight", losses.colour_weight);
  if (losses.colour_weight > 0 && losses.colours.empty()) {
    throw ParameterError("colour_weight", "needs {colours}: the colours to pull towards", {"colours"});
  }
  require_non_negative("edge_weight", losses.edge_weight);
  if (losses.edge_weight > 0 && !losses.edge_colour) {
    throw ParameterError("edge_weight", "needs {edge_colour}: the colour of the border", {"edge_colour"});
  }
  if (losses.edge_width < 0 || losses.edge_width > 4096) {
    throw ParameterError("edge_width", std::to_string(losses.edge_width) + ": expected 0 (automatic) to 4096");
  }
}

void add_picture_loss_fields(nlohmann::json& json, const PictureLosses& losses) {
  nlohmann::json colours = nlohmann::json::array();
  for (const auto& colour : losses.colours) colours.push_back(colour_text(colour));
  json["smoothness"] = losses.smoothness;
  json["symmetry"] = losses.symmetry;
  json["saturation"] = losses.saturation;
  json["colours"] = colours;
  json["colour_weight"] = losses.colour_weight;
  json["edge_colour"] = losses.edge_colour ? nlohmann::json(colour_text(*losses.edge_colour)) : nlohmann::json();
  json["edge_weight"] = losses.edge_weight;
  json["edge_width"] = losses.edge_width;
}

}  // namespace vqclip
