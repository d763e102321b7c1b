// Schedules ("0:1.0, 60:1.04") and the animation's parameter group.
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "params/value_checks.hpp"
#include "vqclip/animation.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"

namespace vqclip {
namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The whole of `text` as a finite number; nothing otherwise.
std::optional<double> finite_number(std::string_view text) {
  const std::string copy(text);
  if (copy.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int> frame_number(std::string_view text) {
  if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoi(std::string(text));
}

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

}  // namespace

Schedule::Schedule(double constant) : keys_{{0, constant}} {}

Schedule Schedule::parse(std::string_view text, const std::string& field) {
  const auto whole = trimmed(text);
  if (whole.find(':') == std::string_view::npos) {
    const auto value = finite_number(whole);
    if (!value) throw ParameterError(field, "'" + std::string(text) + "': expected a number or keyframes such as 0:1, 60:1.04");
    return Schedule(*value);
  }
  Schedule schedule;
  schedule.keys_.clear();
  size_t start = 0;
  for (int index = 1;; ++index) {
    const auto comma = whole.find(',', start);
    const auto part = trimmed(whole.substr(start, comma == std::string_view::npos ? whole.npos : comma - start));
    const auto where = "keyframe " + std::to_string(index) + " '" + std::string(part) + "'";
    const auto colon = part.find(':');
    if (colon == std::string_view::npos) throw ParameterError(field, where + ": expected FRAME:VALUE");
    const auto frame = frame_number(trimmed(part.substr(0, colon)));
    if (!frame) throw ParameterError(field, where + ": the frame is not a whole number from 0");
    const auto value = finite_number(trimmed(part.substr(colon + 1)));
    if (!value) throw ParameterError(field, where + ": the value is not a finite number");
    if (!schedule.keys_.empty() && *frame <= schedule.keys_.back().first) {
      throw ParameterError(field, where + ": frames must increase (after frame " +
                                      std::to_string(schedule.keys_.back().first) + ")");
    }
    schedule.keys_.emplace_back(*frame, *value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return schedule;
}

double Schedule::at(int frame) const {
  if (frame <= keys_.front().first) return keys_.front().second;
  for (size_t i = 1; i < keys_.size(); ++i) {
    const auto& [frame1, value1] = keys_[i];
    if (frame <= frame1) {
      const auto& [frame0, value0] = keys_[i - 1];
      const double t = static_cast<double>(frame - frame0) / (frame1 - frame0);
      return value0 + t * (value1 - value0);
    }
  }
  return keys_.back().second;
}

std::string Schedule::to_string() const {
  if (is_constant() && keys_.front().first == 0) return number_text(keys_.front().second);
  std::string text;
  for (const auto& [frame, value] : keys_) {
    if (!text.empty()) text += ", ";
    text += std::to_string(frame) + ":" + number_text(value);
  }
  return text;
}

PromptKeyframe parse_prompt_keyframe(std::string_view value) {
  const auto colon = value.find(':');
  const auto frame = colon == std::string_view::npos ? std::nullopt : frame_number(trimmed(value.substr(0, colon)));
  if (!frame) {
    throw ParameterError("prompt_keyframes",
                         "'" + std::string(value) + "': expected FRAME:TEXT with FRAME a whole number from 0");
  }
  return {*frame, std::string(trimmed(value.substr(colon + 1)))};
}

void validate(const AnimationParams& params) {
  checks::require_range("frames", params.frames, 1, 100000);
  checks::require_range("steps_per_frame", params.steps_per_frame, 1, 100000);
  if (!(params.fps > 0 && params.fps <= 240)) {
    throw ParameterError("fps", checks::number(params.fps) + ": expected more than 0 and at most 240");
  }
  for (const auto& [frame, zoom] : params.motion.zoom.keyframes()) {
    if (!(zoom >= 0.5 && zoom <= 2.0)) {
      throw ParameterError("zoom", checks::number(zoom) + " at frame " + std::to_string(frame) +
                                       ": expected 0.5 to 2 (a factor a frame)");
    }
  }
  checks::require_non_negative("frame_pull", params.frame_pull);
  if (!(params.latent_smoothing >= 0 && params.latent_smoothing < 1)) {
    throw ParameterError("latent_smoothing",
                         checks::number(params.latent_smoothing) + ": expected 0 or more and below 1");
  }
  for (size_t i = 0; i < params.prompt_keyframes.size(); ++i) {
    const auto& keyframe = params.prompt_keyframes[i];
    const auto where =
        "keyframe " + std::to_string(i + 1) + " '" + std::to_string(keyframe.frame) + ":" + keyframe.text + "'";
    if (i > 0 && keyframe.frame <= params.prompt_keyframes[i - 1].frame) {
      throw ParameterError("prompt_keyframes", where + ": frames must increase (after frame " +
                                                   std::to_string(params.prompt_keyframes[i - 1].frame) + ")");
    }
    const auto phases = parse_prompt(keyframe.text, "prompt_keyframes");
    if (phases.size() != 1 || phases[0].size() != 1) {
      throw ParameterError("prompt_keyframes",
                           where + ": one text a keyframe (story phases and '|' belong in --prompt)");
    }
    if (std::isfinite(phases[0][0].stop)) {
      throw ParameterError("prompt_keyframes", where + ": a keyframe takes no stop");
    }
  }
}

nlohmann::json to_json(const AnimationParams& params) {
  nlohmann::json keyframes = nlohmann::json::array();
  for (const auto& keyframe : params.prompt_keyframes) {
    keyframes.push_back({{"frame", keyframe.frame}, {"text", keyframe.text}});
  }
  return {{"frames", params.frames},
          {"steps_per_frame", params.steps_per_frame},
          {"fps", params.fps},
          {"zoom", params.motion.zoom.to_string()},
          {"angle", params.motion.angle.to_string()},
          {"translate_x", params.motion.translate_x.to_string()},
          {"translate_y", params.motion.translate_y.to_string()},
          {"frame_pull", params.frame_pull},
          {"latent_smoothing", params.latent_smoothing},
          {"prompt_keyframes", keyframes}};
}

std::optional<std::string> first_animation_difference(const nlohmann::json& earlier, const nlohmann::json& now) {
  // What a field's absence meant: its value before the field existed.
  static const nlohmann::json before_it_existed{{"latent_smoothing", 0.0},
                                                {"prompt_keyframes", nlohmann::json::array()}};
  for (const auto& [field, value] : now.items()) {
    if (field == "fps") continue;  // another rate: the frames stay valid
    const auto& was = earlier.contains(field) ? earlier[field] : before_it_existed.value(field, nlohmann::json());
    if (was != value) return field;
  }
  return std::nullopt;
}

}  // namespace vqclip
