#include "vqclip/generation_params.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"
#include "params/value_checks.hpp"
#include "tokenizer/utf8.hpp"

namespace vqclip {
namespace {

using checks::number;
using checks::require_non_negative;
using checks::require_range;

void require_between(const char* field, double value, double low, double high) {
  if (!(value >= low && value <= high)) {
    throw ParameterError(field, number(value) + ": expected " + number(low) + " to " + number(high));
  }
}

void require_positive(const char* field, double value) {
  if (!(value > 0) || !std::isfinite(value)) throw ParameterError(field, number(value) + ": expected a positive number");
}


void require_finite(const char* field, double value, const std::string& what) {
  if (!std::isfinite(value)) throw ParameterError(field, what + ": weight " + number(value) + " is not finite");
}

void require_side(const char* field, const char* which, int value) {
  if (value < limits::kMinSide || value > limits::kMaxSide) {
    throw ParameterError(field, std::string(which) + " " + std::to_string(value) + ": expected " +
                                    std::to_string(limits::kMinSide) + " to " + std::to_string(limits::kMaxSide) +
                                    " pixels");
  }
}

// A picture of width x height rendered for `steps` steps: within the pixel
// bounds (`size_field` named otherwise) and the work bound (`steps_field`).
void require_area(int width, int height, int steps, const char* size_field, const char* steps_field) {
  const int64_t pixels = int64_t{width} * height;
  if (pixels > limits::kMaxPixels) {
    throw ParameterError(size_field, std::to_string(width) + "x" + std::to_string(height) + ": " +
                                         std::to_string(pixels) + " pixels, at most " +
                                         std::to_string(limits::kMaxPixels) + " (4096x4096)");
  }
  if (static_cast<double>(pixels) * steps > limits::kMaxPixelSteps) {
    throw ParameterError(steps_field, std::to_string(steps) + " at " + std::to_string(width) + "x" +
                                          std::to_string(height) + ": steps x pixels is above " +
                                          number(limits::kMaxPixelSteps));
  }
}

void validate_size(const GenerationParams& p) {
  if (p.width) require_side("size", "width", *p.width);
  if (p.height) require_side("size", "height", *p.height);
  if (!p.width || !p.height) return;  // the bundle's default size is checked by resolve()
  require_area(*p.width, *p.height, p.steps, "size", "steps");
}

void validate_hires(const HiresSettings& hires) {
  if (hires.scale != 0 && !(hires.scale > 1 && hires.scale <= limits::kMaxHiresScale)) {
    throw ParameterError("hires_scale", number(hires.scale) + ": expected 0 (no second pass) or above 1 to " +
                                            number(limits::kMaxHiresScale));
  }
  if (!hires.steps) return;
  if (!hires.enabled()) {
    throw ParameterError("hires_steps", "given without {hires_scale}: there is no second pass", {"hires_scale"});
  }
  require_range("hires_steps", *hires.steps, 1, limits::kMaxSteps);
}

// The second pass's size and work, once the first pass's size is known.
void validate_hires_size(const GenerationParams& resolved, int factor) {
  if (!resolved.hires.enabled()) return;
  const auto size = hires_size(resolved, factor);
  require_side("hires_scale", "second pass width", size.width);
  require_side("hires_scale", "second pass height", size.height);
  require_area(size.width, size.height, *resolved.hires.steps, "hires_scale", "hires_steps");
}

// What the tokenizer would refuse later, refused now: a run may not fail after
// its models loaded, nor a batch after hours, for a byte of its text.
void validate_prompt_text(const std::string& prompt) {
  if (prompt.size() > limits::kMaxPromptBytes) {
    throw ParameterError("prompts", "of " + std::to_string(prompt.size()) + " bytes: at most " +
                                        std::to_string(limits::kMaxPromptBytes) + " (CLIP reads 77 tokens)");
  }
  if (const auto nul = prompt.find('\0'); nul != std::string::npos) {
    throw ParameterError("prompts", "holds a NUL byte at byte " + std::to_string(nul));
  }
  for (size_t at = 0; at < prompt.size();) {
    char32_t code_point = 0;
    const size_t length = utf8_next_strict(prompt, at, code_point);
    if (length == 0) throw ParameterError("prompts", "is not valid UTF-8 at byte " + std::to_string(at));
    at += length;
  }
  parse_prompt(prompt, "prompts");
}

int round_to_factor(int value, int factor) {
  const int rounded = static_cast<int>(std::lround(static_cast<double>(value) / factor)) * factor;
  return std::max(rounded, factor);
}

// The drawer's name and its own group's fields; the other drawers' groups are left out.
void add_drawer_fields(nlohmann::json& json, const DrawerSettings& drawer) {
  json["drawer"] = drawer.kind ? nlohmann::json(name_of(*drawer.kind)) : nlohmann::json();
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      return;
    case DrawerKind::kPixels:
      json["pixels_colour"] = name_of(drawer.pixels.colour);
      json["pixels_space"] = name_of(drawer.pixels.space);
      json["pixels_decay"] = drawer.pixels.decay;
      return;
    case DrawerKind::kPixelArt:
      json["pixel_cell"] = drawer.pixel_art.cell;
      json["pixel_grid"] = drawer.pixel_art.grid ? nlohmann::json(*drawer.pixel_art.grid) : nlohmann::json();
      json["palette"] = drawer.pixel_art.palette;
      return;
    case DrawerKind::kVector:
      json["shapes"] = drawer.vector.shapes;
      json["strokes"] = drawer.vector.strokes;
      json["segments"] = drawer.vector.segments;
      json["stroke_width"] = drawer.vector.stroke_width;
      json["vector_softness"] = drawer.vector.softness;
      return;
  }
}

nlohmann::json stop_json(double stop) { return std::isfinite(stop) ? nlohmann::json(stop) : nlohmann::json(); }

}  // namespace

ImageSource ImageSource::file(std::filesystem::path path) {
  ImageSource source;
  source.path = std::move(path);
  return source;
}

ImageSource ImageSource::in_memory(RgbImage image, std::string label) {
  ImageSource source;
  if (label.empty()) label = "<image " + std::to_string(image.width) + "x" + std::to_string(image.height) + ">";
  source.path = std::move(label);
  source.pixels = std::make_shared<const RgbImage>(std::move(image));
  return source;
}

std::string ImageSource::label() const { return path.string(); }

RgbImage ImageSource::read() const { return pixels ? *pixels : read_image(path); }

void validate(const GenerationParams& p) {
  if (p.prompts.empty() && p.image_prompts.empty() && p.noise_prompts.empty() && p.blended_prompts.empty()) {
    throw ParameterError("prompts", "missing: nothing to render (give {prompts}, {image_prompts} or {noise_prompts})",
                         {"prompts", "image_prompts", "noise_prompts"});
  }
  for (const auto& prompt : p.prompts) validate_prompt_text(prompt);
  for (const auto& prompt : p.image_prompts) {
    if (prompt.image.path.empty() && !prompt.image.pixels) throw ParameterError("image_prompts", "'': no image given");
    require_finite("image_prompts", prompt.weight, prompt.image.label());
  }
  for (const auto& prompt : p.noise_prompts) require_finite("noise_prompts", prompt.weight, std::to_string(prompt.seed));
  for (const auto& blend : p.blended_prompts) {
    const auto label = "'" + blend.from + "' to '" + blend.to + "'";
    if (blend.from.empty() || blend.to.empty()) throw ParameterError("blended_prompts", label + ": a text is empty");
    if (!(blend.t >= 0 && blend.t <= 1)) {
      throw ParameterError("blended_prompts", label + " at " + number(blend.t) + ": expected 0 to 1");
    }
    require_finite("blended_prompts", blend.weight, label);
  }
  if (p.change_prompt_every < 0) {
    throw ParameterError("change_prompt_every", std::to_string(p.change_prompt_every) + ": expected 0 or more steps");
  }

  require_range("steps", p.steps, 1, limits::kMaxSteps);
  validate_size(p);

  if (p.init_image && p.init_noise != InitNoise::kNone) {
    throw ParameterError("init_image", "and {init_noise} cannot be combined: choose one starting point", {"init_noise"});
  }
  if (p.init_image && p.init_image->path.empty() && !p.init_image->pixels) {
    throw ParameterError("init_image", "'': no image given");
  }
  require_non_negative("init_weight", p.init_weight);
  require_non_negative("zero_weight", p.zero_weight);

  require_range("cutn", p.cutouts.cutn, 1, limits::kMaxCutn);
  if (p.cutouts.batch < 0 || p.cutouts.batch > p.cutouts.cutn) {
    throw ParameterError("cutn_batch", std::to_string(p.cutouts.batch) + ": expected 0 (automatic) to {cutn} (" +
                                           std::to_string(p.cutouts.cutn) + ")",
                         {"cutn"});
  }
  require_between("cut_pow", p.cutouts.cut_pow, 0.0, 10.0);
  require_between("noise_max", p.cutouts.noise_max, 0.0, 10.0);

  require_positive("lr", p.optimiser.lr);
  require_between("lr_drop_at", p.optimiser.lr_drop_at, 0.0, 1.0);
  require_between("lr_drop_factor", p.optimiser.lr_drop_factor, 0.0, 1.0);
  validate_hires(p.hires);
  validate(p.drawer);
  if (p.hires.enabled() && p.drawer.resolved_kind() == DrawerKind::kVector) {
    // A second pass would start from the first picture as a mosaic, losing the shapes.
    throw ParameterError("hires_scale", "does not apply to the vector drawer: render at the size you want", {"drawer"});
  }
  validate(p.losses);
  validate(p.perceptors);
}

PictureSize hires_size(const GenerationParams& resolved, int factor) {
  const auto scaled = [&](int side) {
    return round_to_factor(static_cast<int>(std::lround(side * resolved.hires.scale)), factor);
  };
  return {scaled(*resolved.width), scaled(*resolved.height)};
}

uint64_t random_seed() {
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32 | entropy()) & ((uint64_t{1} << 53) - 1);
}

GenerationParams resolve(const GenerationParams& params, const Manifest& manifest) {
  validate(params);
  GenerationParams resolved = params;
  if (!resolved.seed) resolved.seed = random_seed();
  resolved.drawer.kind = params.drawer.kind.value_or(default_drawer(manifest));
  validate(resolved.drawer);
  const int width = params.width.value_or(manifest.default_width);
  const int height = params.height.value_or(manifest.default_height);
  auto& art = resolved.drawer.pixel_art;
  const bool grid = resolved.drawer.kind == DrawerKind::kPixelArt && art.grid;
  if (grid) {
    // The grid is kept; the cell is what brings the width nearest to the size asked.
    art.cell = std::max(1, static_cast<int>(std::lround(static_cast<double>(width) / (*art.grid)[0])));
    resolved.width = (*art.grid)[0] * art.cell;
    resolved.height = (*art.grid)[1] * art.cell;
  }
  const int factor = size_multiple(resolved.drawer, manifest);
  if (!grid) {
    resolved.width = round_to_factor(width, factor);
    resolved.height = round_to_factor(height, factor);
  }
  validate_size(resolved);
  if (resolved.hires.enabled() && !resolved.hires.steps) resolved.hires.steps = std::max(1, resolved.steps / 2);
  validate_hires_size(resolved, factor);
  return resolved;
}

nlohmann::json to_json(const GenerationParams& p) {
  nlohmann::json image_prompts = nlohmann::json::array();
  for (const auto& prompt : p.image_prompts) {
    image_prompts.push_back({{"image", prompt.image.label()}, {"weight", prompt.weight}, {"stop", stop_json(prompt.stop)}});
  }
  nlohmann::json noise_prompts = nlohmann::json::array();
  for (const auto& prompt : p.noise_prompts) noise_prompts.push_back({{"seed", prompt.seed}, {"weight", prompt.weight}});
  nlohmann::json blended_prompts = nlohmann::json::array();
  for (const auto& blend : p.blended_prompts) {
    blended_prompts.push_back({{"from", blend.from}, {"to", blend.to}, {"t", blend.t}, {"weight", blend.weight}});
  }
  const auto optional = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(); };
  nlohmann::json json{{"prompts", p.prompts},
          {"image_prompts", image_prompts},
          {"noise_prompts", noise_prompts},
          {"blended_prompts", blended_prompts},
          {"change_prompt_every", p.change_prompt_every},
          {"steps", p.steps},
          {"width", optional(p.width)},
          {"height", optional(p.height)},
          {"seed", optional(p.seed)},
          {"init_image", p.init_image ? nlohmann::json(p.init_image->label()) : nlohmann::json()},
          {"init_noise", name_of(p.init_noise)},
          {"init_weight", p.init_weight},
          {"zero_weight", p.zero_weight},
          {"cutn", p.cutouts.cutn},
          {"cutn_batch", p.cutouts.batch},
          {"cut_pow", p.cutouts.cut_pow},
          {"cut_method", name_of(p.cutouts.method)},
          {"augments", to_string(p.cutouts.augments)},
          {"optimiser", name_of(p.optimiser.kind)},
          {"lr", p.optimiser.lr},
          {"lr_drop_at", p.optimiser.lr_drop_at},
          {"lr_drop_factor", p.optimiser.lr_drop_factor},
          {"hires_scale", p.hires.scale},
          {"hires_steps", optional(p.hires.steps)}};
  add_drawer_fields(json, p.drawer);
  add_picture_loss_fields(json, p.losses);
  add_perceptor_fields(json, p.perceptors);
  return json;
}

std::optional<std::string> first_generation_difference(const nlohmann::json& earlier, const nlohmann::json& now) {
  static const auto defaults = to_json(GenerationParams{});
  // What a field's absence meant: its default, and for the drawer also the
  // VQGAN, the only one before the field existed.
  const auto absence_means = [](const std::string& key, const nlohmann::json& value) {
    if (defaults.contains(key) && value == defaults[key]) return true;
    return key == "drawer" && value == std::string(name_of(DrawerKind::kVqgan));
  };
  for (const auto& [key, value] : now.items()) {
    if (!earlier.contains(key) && absence_means(key, value)) continue;
    if (!earlier.contains(key) || earlier[key] != value) return key;
  }
  for (const auto& [key, value] : earlier.items()) {
    if (!now.contains(key)) return key;
  }
  return std::nullopt;
}

}  // namespace vqclip
