// The perceptor group: DIR[:WEIGHT] as the command line gives it, what
// validate() refuses, and its fields in the generation record.
#include <cmath>

#include <gtest/gtest.h>

#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/perceptor_settings.hpp"

namespace vqclip {
namespace {

TEST(PerceptorSettings, ParseTable) {
  struct Case {
    std::string text;
    std::string bundle;  // empty: refused
    double weight;
  };
  for (const auto& c : std::vector<Case>{{"models/other", "models/other", 1.0},
                                         {"models/other:0.5", "models/other", 0.5},
                                         {"other:2", "other", 2.0},
                                         {"other:1e-1", "other", 0.1},
                                         {"dir:with:colons", "dir:with:colons", 1.0},
                                         {"dir:with:colons:3", "dir:with:colons", 3.0},
                                         {"other:", "other:", 1.0},
                                         {"other:-1", "other", -1.0},  // validate() refuses the weight
                                         {":0.5", "", 0},
                                         {"", "", 0}}) {
    const auto parsed = parse_perceptor(c.text);
    if (c.bundle.empty()) {
      EXPECT_FALSE(parsed) << c.text;
      continue;
    }
    ASSERT_TRUE(parsed) << c.text;
    EXPECT_EQ(parsed->bundle, c.bundle) << c.text;
    EXPECT_EQ(parsed->weight, c.weight) << c.text;
    EXPECT_EQ(parse_perceptor(perceptor_text(*parsed))->bundle, parsed->bundle) << "reads back: " << c.text;
  }
}

// The message validate() gives for `settings` in a generation, or "" when valid.
std::string refusal(const PerceptorSettings& settings, std::string* field = nullptr) {
  GenerationParams params;
  params.prompts = {"a red circle"};
  params.perceptors = settings;
  try {
    validate(params);
    return "";
  } catch (const ParameterError& e) {
    if (field) *field = e.field();
    return e.what();
  }
}

TEST(PerceptorSettings, ValidationNamesTheFieldAndTheCulprit) {
  PerceptorSettings settings;
  EXPECT_EQ(refusal(settings), "") << "the bundle's CLIP alone";
  settings.clip_weight = 0.5;
  std::string field;
  EXPECT_EQ(refusal(settings, &field),
            "clip_weight 0.5: weighs the bundle's CLIP against others, and there are none: it needs perceptors");
  EXPECT_EQ(field, "clip_weight");

  settings.extra = {{"models/other", 1.0}};
  EXPECT_EQ(refusal(settings), "");
  settings.clip_weight = 0;
  EXPECT_EQ(refusal(settings), "") << "only the other CLIP judges";
  settings.clip_weight = -1;
  EXPECT_EQ(refusal(settings), "clip_weight -1: expected a non-negative number");
  settings.clip_weight = NAN;
  EXPECT_NE(refusal(settings), "");
  settings.clip_weight = 1;

  settings.extra = {{"models/other", 0.0}};
  EXPECT_EQ(refusal(settings, &field), "perceptors models/other:0: expected a positive weight");
  EXPECT_EQ(field, "perceptors");
  settings.extra = {{"models/other", INFINITY}};
  EXPECT_NE(refusal(settings).find("expected a positive weight"), std::string::npos);
  settings.extra = {{"models/other", 1.0}, {"models/./other", 2.0}};
  EXPECT_EQ(refusal(settings), "perceptors models/./other is named twice: give it one weight");
  settings.extra.assign(9, ExtraPerceptor{});
  for (int i = 0; i < 9; ++i) settings.extra[i] = {"b" + std::to_string(i), 1.0};
  EXPECT_EQ(refusal(settings), "perceptors given 9 times: at most 8 other CLIPs");
  settings.extra.resize(8);
  EXPECT_EQ(refusal(settings), "");
}

TEST(PerceptorSettings, TheRecordsFieldsReadBackAndOlderRecordsHadTheBundlesClipAlone) {
  GenerationParams params;
  params.prompts = {"a red circle"};
  params.drawer.kind = DrawerKind::kPixels;  // read back as written, not resolved
  params.perceptors.clip_weight = 0.25;
  params.perceptors.extra = {{"models/a", 1.5}, {"/abs/b", 1.0}};
  const auto json = to_json(params);
  EXPECT_EQ(json.at("clip_weight"), 0.25);
  EXPECT_EQ(json.at("perceptors"), nlohmann::json::parse(R"([{"bundle":"models/a","weight":1.5},
                                                              {"bundle":"/abs/b","weight":1.0}])"));
  EXPECT_EQ(to_json(generation_from_json(json, "test")), json);

  auto earlier = to_json(GenerationParams{});
  earlier.erase("clip_weight");
  earlier.erase("perceptors");
  EXPECT_FALSE(first_generation_difference(earlier, to_json(GenerationParams{}))) << "written before ensembles";
  auto only_perceptors_differ = json;
  only_perceptors_differ.erase("clip_weight");
  only_perceptors_differ.erase("perceptors");
  EXPECT_EQ(first_generation_difference(only_perceptors_differ, json).value_or(""), "clip_weight");
  only_perceptors_differ["clip_weight"] = 0.25;
  EXPECT_EQ(first_generation_difference(only_perceptors_differ, json).value_or(""), "perceptors");

  auto broken = json;
  broken["perceptors"] = {"models/a"};
  EXPECT_THROW(generation_from_json(broken, "test"), InputError);
}

}  // namespace
}  // namespace vqclip
