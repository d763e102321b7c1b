// GenerationParams back from a record's "generation" object (to_json's
// form), every type checked: records come from files anyone can edit.
#include <cmath>
#include <limits>

#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"

namespace vqclip {
namespace {

class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string where) : object_(object), where_(std::move(where)) {}

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

double stop_from(const FieldReader& read) {
  return read.find("stop") ? read.real("stop") : -std::numeric_limits<double>::infinity();
}

}  // namespace

GenerationParams generation_from_json(const nlohmann::json& generation, const std::string& where) {
  if (!generation.is_object()) throw InputError(where + ": the record's generation is not an object");
  const FieldReader read(generation, where);
  GenerationParams p;
  for (const auto& prompt : read.array("prompts")) {
    if (!prompt.is_string()) read.fail("prompts", "holds an entry that is not text");
    p.prompts.push_back(prompt.get<std::string>());
  }
  for (const auto& entry : read.array("image_prompts")) {
    if (!entry.is_object()) read.fail("image_prompts", "holds an entry that is not an object");
    const FieldReader prompt(entry, where);
    p.image_prompts.push_back({ImageSource::file(prompt.text("image")), prompt.real("weight"), stop_from(prompt)});
  }
  for (const auto& entry : read.array("noise_prompts")) {
    if (!entry.is_object()) read.fail("noise_prompts", "holds an entry that is not an object");
    const FieldReader prompt(entry, where);
    p.noise_prompts.push_back({prompt.unsigned_integer("seed"), prompt.real("weight")});
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
  return p;
}

}  // namespace vqclip
