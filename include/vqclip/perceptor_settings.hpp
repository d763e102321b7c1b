#pragma once
// Which CLIPs judge the picture (docs/architecture.md, "Perceptor
// ensembles"): the bundle's own and, optionally, other bundles' CLIPs, each
// with a weight. Every one sees its own cutouts at its own resolution and
// normalisation, embeds the prompts itself, and the loss is the weighted sum.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vqclip {

// Another bundle's CLIP (a CLIP-only bundle will do).
struct ExtraPerceptor {
  std::filesystem::path bundle;  // its directory, as given
  double weight = 1.0;
};

struct PerceptorSettings {
  double clip_weight = 1.0;  // the bundle's own CLIP; 0 = only the extra ones judge
  std::vector<ExtraPerceptor> extra;

  // More than one CLIP judges, or one that is not the bundle's own.
  bool ensemble() const { return !extra.empty(); }
};

// "DIR" or "DIR:WEIGHT": the last ':' starts a weight when all that follows
// it is a number, so a path with ':' in it still reads. Nothing for an empty DIR.
std::optional<ExtraPerceptor> parse_perceptor(const std::string& text);

// "DIR:WEIGHT", which parse_perceptor reads back.
std::string perceptor_text(const ExtraPerceptor& perceptor);

// Throws ParameterError naming the field: weights finite, the extra ones
// above 0, the bundle's own not negative and other than 1 only with extra
// ones; at most limits::kMaxPerceptors extra, none named twice.
void validate(const PerceptorSettings& settings);

// The fields in to_json's generation form: "clip_weight" and "perceptors"
// ([{"bundle", "weight"}]); generation_from_json reads them back.
void add_perceptor_fields(nlohmann::json& json, const PerceptorSettings& settings);

}  // namespace vqclip
