// GenerationParams back from a record's "generation" object (to_json's
// form), every type checked: records come from files anyone can edit.
#include <cmath>
#include <limits>

#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"

namespace vqclip {
namespace {

class RecordFieldReader {
 public:
  RecordFieldReader(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {}

  // Whether the key is there at all, null included (find() takes null for absent).
  bool contains(const char* key) const { return object_.contains(key); }
  const nlohmann::json* find(const char* key) const {
    return object_.contains(key) && !object_[key].is_null() ? &object_[key] : nullptr;
  }
  const nlohmann::json& need(const char* key) const {
    const auto* value = find(key);
    if (!value) fail(key, "is missing");
    return *value;
  }
  double real(const char* key, std::optional<double> fallback = std::nullopt) const {
    const auto* value = find(key);
    if (!value && fallback) return *fallback;
    if (!value || !value->is_number()) fail(key, "is not a number");
    return value->get<double>();
  }
  int integer(const char* key, std::optional<int> fallback = std::nullopt) const {
    const auto* value = find(key);
    if (!value && fallback) return *fallback;
    if (!value || !value->is_number_integer() || *value < std::numeric_limits<int>::min() ||
        *value > std::numeric_limits<int>::max()) {
      fail(key, "is not an integer");
    }
    return value->get<int>();
  }
  uint64_t unsigned_integer(const char* key) const {
    const auto& value = need(key);
    if (!value.is_number_unsigned()) fail(key, "is not a non-negative integer");
    return value.get<uint64_t>();
  }
  std::string text(const char* key) const {
    const auto& value = need(key);
    if (!value.is_string()) fail(key, "is not text");
    return value.get<std::string>();
  }
  template <typename Enum>
  Enum name(const char* key) const {
    const auto spelled = text(key);
    const auto parsed = enum_from_name<Enum>(spelled);
    if (!parsed) fail(key, "'" + spelled + "' is not one of " + enum_choices<Enum>());
    return *parsed;
  }
  const nlohmann::json& array(const char* key) const {
    const auto* value = find(key);
    static const nlohmann::json empty = nlohmann::json::array();
    if (!value) return empty;
    if (!value->is_array()) fail(key, "is not a list");
    return *value;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw InputError(where_ + ": generation field '" + key + "' " + problem);
  }

 private:
  const nlohmann::json& object_;
  std::string where_;
};

double stop_from(const RecordFieldReader& read) {
  return read.find("stop") ? read.real("stop") : -std::numeric_limits<double>::infinity();
}

// The drawer and its group's fields; records from before drawers existed were
// the VQGAN's. A null drawer is unset: the bundle's default (a request's form).
void read_drawer(const RecordFieldReader& read, DrawerSettings& drawer) {
  if (!read.contains("drawer")) {
    drawer.kind = DrawerKind::kVqgan;
  } else if (read.find("drawer")) {
    drawer.kind = read.name<DrawerKind>("drawer");
  }
  auto& pixels = drawer.pixels;
  if (read.find("pixels_colour")) pixels.colour = read.name<PixelsColour>("pixels_colour");
  if (read.find("pixels_space")) pixels.space = read.name<PixelsSpace>("pixels_space");
  pixels.decay = read.real("pixels_decay", pixels.decay);
  auto& art = drawer.pixel_art;
  art.cell = read.integer("pixel_cell", art.cell);
  art.palette = read.integer("palette", art.palette);
  if (const auto* grid = read.find("pixel_grid")) {
    if (!grid->is_array() || grid->size() != 2 || !(*grid)[0].is_number_integer() || !(*grid)[1].is_number_integer()) {
      read.fail("pixel_grid", "is not two integers");
    }
    const auto columns = (*grid)[0].get<int64_t>(), rows = (*grid)[1].get<int64_t>();
    if (columns < 1 || rows < 1 || columns > limits::kMaxSide || rows > limits::kMaxSide) {
      read.fail("pixel_grid", "is out of range");
    }
    art.grid = std::array<int, 2>{static_cast<int>(columns), static_cast<int>(rows)};
  }
  auto& vector = drawer.vector;
  vector.shapes = read.integer("shapes", vector.shapes);
  vector.strokes = read.integer("strokes", vector.strokes);
  vector.segments = read.integer("segments", vector.segments);
  vector.stroke_width = read.real("stroke_width", vector.stroke_width);
  vector.softness = read.real("vector_softness", vector.softness);
}

Colour colour_from(const RecordFieldReader& read, const char* key, const nlohmann::json& value) {
  const auto colour = value.is_string() ? parse_colour(value.get<std::string>()) : std::nullopt;
  if (!colour) read.fail(key, "holds something that is not a colour '#rrggbb'");
  return *colour;
}

// The picture losses; records from before they existed had none.
void read_picture_losses(const RecordFieldReader& read, PictureLosses& losses) {
  losses.smoothness = read.real("smoothness", 0.0);
  losses.symmetry = read.real("symmetry", 0.0);
  losses.saturation = read.real("saturation", 0.0);
  for (const auto& colour : read.array("colours")) losses.colours.push_back(colour_from(read, "colours", colour));
  losses.colour_weight = read.real("colour_weight", 0.0);
  if (const auto* edge = read.find("edge_colour")) losses.edge_colour = colour_from(read, "edge_colour", *edge);
  losses.edge_weight = read.real("edge_weight", 0.0);
  losses.edge_width = read.integer("edge_width", 0);
}

// Which CLIPs judge; records from before ensembles had the bundle's alone.
void read_perceptors(const RecordFieldReader& read, const std::string& where, PerceptorSettings& perceptors) {
  perceptors.clip_weight = read.real("clip_weight", 1.0);
  for (const auto& entry : read.array("perceptors")) {
    if (!entry.is_object()) read.fail("perceptors", "holds an entry that is not an object");
    const RecordFieldReader perceptor(entry, where);
    perceptors.extra.push_back({perceptor.text("bundle"), perceptor.real("weight")});
  }
}

}  // namespace

GenerationParams generation_from_json(const nlohmann::json& generation, const std::string& where) {
  if (!generation.is_object()) throw InputError(where + ": the record's generation is not an object");
  const RecordFieldReader read(generation, where);
  GenerationParams p;
  for (const auto& prompt : read.array("prompts")) {
    if (!prompt.is_string()) read.fail("prompts", "holds an entry that is not text");
    p.prompts.push_back(prompt.get<std::string>());
  }
  for (const auto& entry : read.array("image_prompts")) {
    if (!entry.is_object()) read.fail("image_prompts", "holds an entry that is not an object");
    const RecordFieldReader prompt(entry, where);
    p.image_prompts.push_back({ImageSource::file(prompt.text("image")), prompt.real("weight"), stop_from(prompt)});
  }
  for (const auto& entry : read.array("noise_prompts")) {
    if (!entry.is_object()) read.fail("noise_prompts", "holds an entry that is not an object");
    const RecordFieldReader prompt(entry, where);
    p.noise_prompts.push_back({prompt.unsigned_integer("seed"), prompt.real("weight")});
  }
  for (const auto& entry : read.array("blended_prompts")) {  // older records have none
    if (!entry.is_object()) read.fail("blended_prompts", "holds an entry that is not an object");
    const RecordFieldReader blend(entry, where);
    p.blended_prompts.push_back({blend.text("from"), blend.text("to"), blend.real("t"), blend.real("weight")});
  }
  p.change_prompt_every = read.integer("change_prompt_every", 0);
  p.steps = read.integer("steps");
  if (read.find("width")) p.width = read.integer("width");
  if (read.find("height")) p.height = read.integer("height");
  if (read.find("seed")) p.seed = read.unsigned_integer("seed");
  if (read.find("init_image")) p.init_image = ImageSource::file(read.text("init_image"));
  p.init_noise = read.find("init_noise") ? read.name<InitNoise>("init_noise") : InitNoise::kNone;
  p.init_weight = read.real("init_weight", 0.0);
  p.zero_weight = read.real("zero_weight", 0.0);  // older records have none
  p.cutouts.cutn = read.integer("cutn");
  p.cutouts.batch = read.integer("cutn_batch", 0);
  p.cutouts.cut_pow = read.real("cut_pow");
  p.cutouts.method = read.name<CutMethod>("cut_method");
  try {
    p.cutouts.augments = parse_augments(read.text("augments"));
  } catch (const ParameterError& e) {
    read.fail("augments", e.what());
  }
  p.optimiser.kind = read.name<Optimiser>("optimiser");
  p.optimiser.lr = read.real("lr");
  p.optimiser.lr_drop_at = read.real("lr_drop_at", 0.0);
  p.optimiser.lr_drop_factor = read.real("lr_drop_factor", 0.1);
  p.hires.scale = read.real("hires_scale", 0.0);  // older records have no second pass
  if (read.find("hires_steps")) p.hires.steps = read.integer("hires_steps");
  read_drawer(read, p.drawer);
  read_picture_losses(read, p.losses);
  read_perceptors(read, where, p.perceptors);
  return p;
}

}  // namespace vqclip
