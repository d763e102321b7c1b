// The parameter groups: one validator per group with the bounds that protect
// the machine, resolution of what depends on the bundle or on chance, the
// enums' name tables, and errors that name fields for every entry point.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include <torch/cuda.h>

#include "test_env.hpp"
#include "vqclip/context_params.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"
#include "vqclip/render.hpp"

namespace vqclip {
namespace {

GenerationParams valid_generation() {
  GenerationParams params;
  params.prompts = {"a red circle"};
  return params;
}

struct GenerationCase {
  std::string name;
  std::function<void(GenerationParams&)> change;
  std::string field;     // the field the error names
  std::string message;   // part of what()
};

std::ostream& operator<<(std::ostream& out, const GenerationCase& c) { return out << c.name; }

class GenerationValidation : public ::testing::TestWithParam<GenerationCase> {};

TEST_P(GenerationValidation, RejectsNamingTheField) {
  const auto& c = GetParam();
  auto params = valid_generation();
  c.change(params);
  try {
    validate(params);
    FAIL() << c.name << " was accepted";
  } catch (const ParameterError& e) {
    EXPECT_EQ(e.field(), c.field) << e.what();
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GenerationValidation,
    ::testing::Values(
        GenerationCase{"no prompt", [](auto& p) { p.prompts.clear(); }, "prompts", "nothing to render"},
        GenerationCase{"bad prompt language", [](auto& p) { p.prompts = {"a||b"}; }, "prompts", "'a||b': part 2"},
        GenerationCase{"nul byte", [](auto& p) { p.prompts = {std::string("a\0b", 3)}; }, "prompts", "NUL byte at byte 1"},
        GenerationCase{"bad utf-8", [](auto& p) { p.prompts = {"caf\xC3"}; }, "prompts", "not valid UTF-8 at byte 3"},
        GenerationCase{"long prompt", [](auto& p) { p.prompts = {std::string(20000, 'a')}; }, "prompts",
                       "of 20000 bytes: at most 16384"},
        GenerationCase{"zero steps", [](auto& p) { p.steps = 0; }, "steps", "0: expected 1 to 1000000"},
        GenerationCase{"too many steps", [](auto& p) { p.steps = 1'000'001; }, "steps", "expected 1 to 1000000"},
        GenerationCase{"narrow", [](auto& p) { p.width = 4; }, "size", "width 4: expected 8 to 8192"},
        GenerationCase{"tall", [](auto& p) { p.height = 9000; }, "size", "height 9000"},
        GenerationCase{"too many pixels", [](auto& p) { p.width = p.height = 8192; }, "size", "at most 16777216"},
        GenerationCase{"steps x size", [](auto& p) { p.width = p.height = 4096; p.steps = 10000; }, "steps",
                       "steps x pixels"},
        GenerationCase{"hires scale of 1", [](auto& p) { p.hires.scale = 1; }, "hires_scale",
                       "1: expected 0 (no second pass) or above 1 to 8"},
        GenerationCase{"hires shrinking", [](auto& p) { p.hires.scale = 0.5; }, "hires_scale", "0.5: expected"},
        GenerationCase{"hires too large", [](auto& p) { p.hires.scale = 9; }, "hires_scale", "9: expected"},
        GenerationCase{"hires not a number", [](auto& p) { p.hires.scale = NAN; }, "hires_scale", "nan: expected"},
        GenerationCase{"hires steps alone", [](auto& p) { p.hires.steps = 10; }, "hires_steps",
                       "given without hires_scale"},
        GenerationCase{"hires zero steps",
                       [](auto& p) {
                         p.hires.scale = 2;
                         p.hires.steps = 0;
                       },
                       "hires_steps", "0: expected 1 to 1000000"},
        GenerationCase{"two starts",
                       [](auto& p) {
                         p.init_image = ImageSource::file("a.png");
                         p.init_noise = InitNoise::kPixels;
                       },
                       "init_image", "init_image and init_noise cannot be combined"},
        GenerationCase{"negative init weight", [](auto& p) { p.init_weight = -1; }, "init_weight", "-1"},
        GenerationCase{"negative zero weight", [](auto& p) { p.zero_weight = -0.5; }, "zero_weight", "-0.5"},
        GenerationCase{"infinite zero weight", [](auto& p) { p.zero_weight = HUGE_VAL; }, "zero_weight", "inf"},
        GenerationCase{"micro-batch over cutn", [](auto& p) { p.cutouts.batch = p.cutouts.cutn + 1; }, "cutn_batch",
                       "33: expected 0 (automatic) to cutn (32)"},
        GenerationCase{"negative micro-batch", [](auto& p) { p.cutouts.batch = -1; }, "cutn_batch", "-1"},
        GenerationCase{"no cutouts", [](auto& p) { p.cutouts.cutn = 0; }, "cutn", "0: expected 1 to 1024"},
        GenerationCase{"many cutouts", [](auto& p) { p.cutouts.cutn = 1025; }, "cutn", "1025"},
        GenerationCase{"cut_pow", [](auto& p) { p.cutouts.cut_pow = 11; }, "cut_pow", "expected 0 to 10"},
        GenerationCase{"zero lr", [](auto& p) { p.optimiser.lr = 0; }, "lr", "expected a positive number"},
        GenerationCase{"nan lr", [](auto& p) { p.optimiser.lr = std::nan(""); }, "lr", "positive"},
        GenerationCase{"drop at", [](auto& p) { p.optimiser.lr_drop_at = 1.5; }, "lr_drop_at", "1.5"},
        GenerationCase{"drop factor", [](auto& p) { p.optimiser.lr_drop_factor = -0.1; }, "lr_drop_factor", "-0.1"},
        GenerationCase{"change every", [](auto& p) { p.change_prompt_every = -1; }, "change_prompt_every", "-1"},
        GenerationCase{"pixel cell", [](auto& p) { p.drawer.kind = DrawerKind::kPixelArt; p.drawer.pixel_art.cell = 0; },
                       "pixel_cell", "0: expected 1 to 4096"},
        GenerationCase{"pixel grid",
                       [](auto& p) {
                         p.drawer.kind = DrawerKind::kPixelArt;
                         p.drawer.pixel_art.grid = std::array<int, 2>{16, 0};
                       },
                       "pixel_grid", "0: expected 1 to 8192"},
        GenerationCase{"palette of one", [](auto& p) { p.drawer.kind = DrawerKind::kPixelArt; p.drawer.pixel_art.palette = 1; },
                       "palette", "1: expected 2 to 256"},
        GenerationCase{"pixels decay", [](auto& p) { p.drawer.kind = DrawerKind::kPixels; p.drawer.pixels.decay = 5; },
                       "pixels_decay", "expected 0 to 4"},
        GenerationCase{"nothing to draw",
                       [](auto& p) {
                         p.drawer.kind = DrawerKind::kVector;
                         p.drawer.vector.shapes = 0;
                       },
                       "shapes", "0 with strokes 0: nothing to draw"},
        GenerationCase{"too many strokes",
                       [](auto& p) {
                         p.drawer.kind = DrawerKind::kVector;
                         p.drawer.vector.strokes = 4097;
                       },
                       "strokes", "4097: expected 0 to 4096"},
        GenerationCase{"no segments", [](auto& p) { p.drawer.kind = DrawerKind::kVector; p.drawer.vector.segments = 0; },
                       "segments", "0: expected 1 to 16"},
        GenerationCase{"hair stroke",
                       [](auto& p) {
                         p.drawer.kind = DrawerKind::kVector;
                         p.drawer.vector.stroke_width = 0.1;
                       },
                       "stroke_width", "0.1: expected 0.5 to 64 pixels"},
        GenerationCase{"vector hires",
                       [](auto& p) {
                         p.drawer.kind = DrawerKind::kVector;
                         p.hires.scale = 2;
                       },
                       "hires_scale", "does not apply to the vector drawer"},
        GenerationCase{"image prompt weight",
                       [](auto& p) { p.image_prompts.push_back({ImageSource::file("a.png"), INFINITY}); },
                       "image_prompts", "a.png: weight inf"},
        GenerationCase{"empty image prompt", [](auto& p) { p.image_prompts.push_back({}); }, "image_prompts",
                       "no image"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(GenerationValidation, TheDefaultsWithAPromptAreValid) {
  EXPECT_NO_THROW(validate(valid_generation()));
  auto other = valid_generation();
  other.prompts.clear();
  other.noise_prompts.push_back({3, 1.0});
  EXPECT_NO_THROW(validate(other)) << "a noise prompt alone is something to render";
}

Manifest manifest_with(int width, int height, int factor) {
  Manifest manifest;
  manifest.default_width = width;
  manifest.default_height = height;
  manifest.vqgan.emplace().downsample_factor = factor;
  return manifest;
}

TEST(GenerationResolution, SizeFromTheBundleRoundedToTheFactorAndASeedDrawn) {
  auto params = valid_generation();
  const auto defaults = resolve(params, manifest_with(64, 48, 8));
  EXPECT_EQ(*defaults.width, 64);
  EXPECT_EQ(*defaults.height, 48);
  ASSERT_TRUE(defaults.seed.has_value());
  EXPECT_LT(*defaults.seed, uint64_t{1} << 53) << "exact in JSON";
  EXPECT_NE(*resolve(params, manifest_with(64, 48, 8)).seed, *defaults.seed) << "random each time (1 in 2^53 fails)";

  params.width = 100;
  params.height = 3;
  params.seed = 42;
  params.height = 8;
  const auto rounded = resolve(params, manifest_with(64, 64, 16));
  EXPECT_EQ(*rounded.width, 96);
  EXPECT_EQ(*rounded.height, 16) << "at least one latent cell";
  EXPECT_EQ(*rounded.seed, 42u);
  EXPECT_EQ(resolve(rounded, manifest_with(64, 64, 16)).width, rounded.width) << "resolving twice changes nothing";
}

TEST(GenerationResolution, TheDrawerIsTheVqgansUnlessNamedAndSetsTheSizeMultiple) {
  auto params = valid_generation();
  params.width = 100;
  params.height = 37;
  EXPECT_EQ(resolve(params, manifest_with(64, 64, 16)).drawer.kind, DrawerKind::kVqgan);
  params.drawer.kind = DrawerKind::kPixels;
  const auto pixels = resolve(params, manifest_with(64, 64, 16));
  EXPECT_EQ(*pixels.width, 100) << "pixels need no rounding";
  EXPECT_EQ(*pixels.height, 37);
  params.drawer.kind = DrawerKind::kPixelArt;
  params.drawer.pixel_art.cell = 6;
  const auto art = resolve(params, manifest_with(64, 64, 16));
  EXPECT_EQ(*art.width, 102) << "whole cells";
  EXPECT_EQ(*art.height, 36);
  params.drawer.pixel_art.grid = std::array<int, 2>{10, 4};
  const auto grid = resolve(params, manifest_with(64, 64, 16));
  EXPECT_EQ(grid.drawer.pixel_art.cell, 10) << "the width asked over the columns";
  EXPECT_EQ(*grid.width, 100);
  EXPECT_EQ(*grid.height, 40);
  const auto again = resolve(grid, manifest_with(64, 64, 16));
  EXPECT_EQ(to_json(again), to_json(grid)) << "resolving twice changes nothing";
}

TEST(GenerationJson, AnAbsentDrawerIsAnEarlierRecordsVqganANullOneIsUnset) {
  auto json = to_json(valid_generation());
  ASSERT_TRUE(json.contains("drawer"));
  EXPECT_TRUE(json["drawer"].is_null());
  EXPECT_FALSE(generation_from_json(json, "request").drawer.kind.has_value()) << "the bundle's default drawer";
  auto clip_only = manifest_with(64, 64, 8);
  clip_only.vqgan.reset();
  EXPECT_EQ(resolve(generation_from_json(json, "request"), clip_only).drawer.kind, DrawerKind::kPixels);
  json.erase("drawer");
  EXPECT_EQ(generation_from_json(json, "record").drawer.kind, DrawerKind::kVqgan) << "recorded before drawers";
}

TEST(GenerationJson, TheDrawersFieldsReadBackAndOnlyTheChosenDrawersAreWritten) {
  auto params = valid_generation();
  EXPECT_FALSE(to_json(params).contains("palette"));
  params.drawer.kind = DrawerKind::kPixelArt;
  params.drawer.pixel_art.palette = 8;
  params.drawer.pixel_art.grid = std::array<int, 2>{12, 9};
  auto json = to_json(params);
  EXPECT_EQ(json.at("drawer"), "pixel-art");
  EXPECT_EQ(json.at("palette"), 8);
  EXPECT_FALSE(json.contains("pixels_space"));
  EXPECT_EQ(to_json(generation_from_json(json, "test")), json);
  params.drawer.kind = DrawerKind::kPixels;
  params.drawer.pixels.space = PixelsSpace::kPixel;
  params.drawer.pixels.decay = 1.5;
  json = to_json(params);
  EXPECT_EQ(json.at("pixels_space"), "pixel");
  EXPECT_EQ(to_json(generation_from_json(json, "test")), json);
  params.drawer.kind = DrawerKind::kVector;
  params.drawer.vector.strokes = 7;
  params.drawer.vector.softness = 2.5;
  json = to_json(params);
  EXPECT_EQ(json.at("strokes"), 7);
  EXPECT_EQ(json.at("vector_softness"), 2.5);
  EXPECT_FALSE(json.contains("pixels_space"));
  EXPECT_EQ(to_json(generation_from_json(json, "test")), json);
  json["pixel_grid"] = {3};
  json["drawer"] = "pixel-art";
  EXPECT_THROW(generation_from_json(json, "test"), InputError);
}

TEST(GenerationResolution, TheBundlesDefaultSizeCountsTowardsTheBounds) {
  auto params = valid_generation();
  params.steps = 1'000'000;
  EXPECT_NO_THROW(validate(params)) << "the size is not known yet";
  EXPECT_THROW(resolve(params, manifest_with(512, 512, 16)), ParameterError);
}

TEST(GenerationResolution, TheSecondPassGetsHalfTheStepsAndItsSizeIsBounded) {
  auto params = valid_generation();
  params.steps = 41;
  params.width = 100;
  params.height = 64;
  params.hires.scale = 1.5;
  const auto resolved = resolve(params, manifest_with(64, 64, 16));
  ASSERT_TRUE(resolved.hires.steps.has_value());
  EXPECT_EQ(*resolved.hires.steps, 20);
  const auto size = hires_size(resolved, 16);
  EXPECT_EQ(size.width, 144) << "96 x 1.5, a multiple of 16";
  EXPECT_EQ(size.height, 96);
  params.hires.steps = 7;
  EXPECT_EQ(*resolve(params, manifest_with(64, 64, 16)).hires.steps, 7);

  params.width = params.height = 2048;
  params.hires.scale = 4;  // 8192 a side is allowed, 67 megapixels are not
  try {
    resolve(params, manifest_with(64, 64, 16));
    FAIL() << "an 8192x8192 second pass was accepted";
  } catch (const ParameterError& e) {
    EXPECT_EQ(e.field(), "hires_scale");
    EXPECT_NE(std::string(e.what()).find("8192x8192"), std::string::npos) << e.what();
  }
  params.width = params.height = 1024;
  params.hires.scale = 8;  // the largest scale, and 8192 a side: still too many pixels
  EXPECT_THROW(resolve(params, manifest_with(64, 64, 16)), ParameterError);
}

TEST(GenerationJson, EveryFieldWithEnumsByName) {
  auto params = valid_generation();
  params.init_noise = InitNoise::kGradient;
  params.cutouts.method = CutMethod::kCrops;
  params.cutouts.augments = parse_augments("flip,noise");
  params.optimiser.kind = Optimiser::kAdamW;
  params.image_prompts.push_back({ImageSource::file("cat.png"), 0.5});
  params.noise_prompts.push_back({7, -0.25});
  const auto json = to_json(params);
  EXPECT_EQ(json.at("init_noise"), "gradient");
  EXPECT_EQ(json.at("cut_method"), "crops");
  EXPECT_EQ(json.at("augments"), "flip,noise");
  EXPECT_EQ(json.at("optimiser"), "adamw");
  EXPECT_EQ(json.at("image_prompts")[0].at("image"), "cat.png");
  EXPECT_TRUE(json.at("image_prompts")[0].at("stop").is_null()) << "no stop: null, not -inf";
  EXPECT_EQ(json.at("noise_prompts")[0].at("seed"), 7);
  EXPECT_TRUE(json.at("seed").is_null());
  EXPECT_TRUE(json.at("width").is_null());
  for (const char* field : {"prompts", "steps", "cutn", "cut_pow", "lr", "lr_drop_at", "lr_drop_factor",
                            "init_image", "init_weight", "zero_weight", "cutn_batch", "change_prompt_every", "height",
                            "hires_scale", "hires_steps"}) {
    EXPECT_TRUE(json.contains(field)) << field;
  }
}

TEST(GenerationJson, AFieldMissingFromAnEarlierFormCountsAsItsDefault) {
  const auto now = to_json(valid_generation());
  auto earlier = now;
  EXPECT_FALSE(first_generation_difference(earlier, now));
  earlier.erase("hires_scale");
  earlier.erase("hires_steps");
  EXPECT_FALSE(first_generation_difference(earlier, now)) << "written before the field existed";
  auto with_hires = valid_generation();
  with_hires.hires.scale = 2;
  EXPECT_EQ(first_generation_difference(earlier, to_json(with_hires)), "hires_scale") << "not the default";
  auto changed = now;
  changed["steps"] = 12;
  EXPECT_EQ(first_generation_difference(now, changed), "steps");
  auto before_drawers = to_json(resolve(valid_generation(), manifest_with(64, 64, 8)));
  const auto resolved_now = before_drawers;
  before_drawers.erase("drawer");
  EXPECT_FALSE(first_generation_difference(before_drawers, resolved_now)) << "every earlier render was the VQGAN's";
  auto pixels = valid_generation();
  pixels.drawer.kind = DrawerKind::kPixels;
  EXPECT_EQ(first_generation_difference(before_drawers, to_json(pixels)), "drawer");
  auto extra = now;
  extra["from_the_future"] = 1;
  EXPECT_EQ(first_generation_difference(extra, now), "from_the_future") << "a field this version does not know";
}

TEST(EnumNames, EveryNameReadsBackAndUnknownNamesAreRefused) {
  const auto round_trip = [](auto value) {
    using Enum = decltype(value);
    for (const auto& name : enum_names<Enum>()) {
      const auto parsed = enum_from_name<Enum>(name);
      ASSERT_TRUE(parsed) << name;
      EXPECT_EQ(name_of(*parsed), name);
    }
    EXPECT_FALSE(enum_from_name<Enum>("no-such-name"));
    EXPECT_FALSE(enum_from_name<Enum>(""));
  };
  round_trip(Precision{});
  round_trip(DeviceKind{});
  round_trip(Optimiser{});
  round_trip(CutMethod{});
  round_trip(InitNoise{});
  round_trip(MetadataMode{});
  round_trip(RenderStatus{});
  round_trip(DrawerKind{});
  round_trip(PixelsColour{});
  round_trip(PixelsSpace{});
  EXPECT_EQ(enum_choices<Precision>(), "fp32, fp16 or bf16");
  EXPECT_FALSE(enum_from_name<Precision>("FP32")) << "names are exact";
}

TEST(DeviceChoice, ParseTable) {
  const auto parsed = [](const std::string& text) { return DeviceChoice::parse(text); };
  EXPECT_EQ(parsed("auto")->kind, DeviceKind::kAuto);
  EXPECT_EQ(parsed("cpu")->kind, DeviceKind::kCpu);
  EXPECT_EQ(parsed("cuda")->kind, DeviceKind::kCuda);
  EXPECT_FALSE(parsed("cuda")->index);
  EXPECT_EQ(parsed("cuda:3")->index, 3);
  EXPECT_EQ(parsed("cuda:3")->to_string(), "cuda:3");
  for (const char* bad : {"tpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1234", "CPU", "cpu:0", ""}) {
    EXPECT_FALSE(parsed(bad)) << bad;
  }
}

TEST(ContextValidation, ThreadsAtMostTheCoresAndFp16NotOnTheCpu) {
  ContextParams params;
  params.threads = max_threads();
  EXPECT_NO_THROW(validate(params));
  params.threads = max_threads() + 1;
  EXPECT_THROW(validate(params), ParameterError);
  params.threads = -1;
  EXPECT_THROW(validate(params), ParameterError);
  params.threads = 0;
  params.device = *DeviceChoice::parse("cpu");
  params.precision = Precision::kFp16;
  try {
    validate(params);
    FAIL() << "fp16 on the CPU was accepted";
  } catch (const ParameterError& e) {
    EXPECT_EQ(e.field(), "precision");
  }
  params.precision = Precision::kBf16;
  EXPECT_NO_THROW(validate(params));
}

TEST(ContextResolution, AutoBecomesTheRealDeviceAndThreads) {
  ContextParams params;
  params.models = test::source_dir() / "models" / "tiny-shapes";
  const auto context = resolve(params);
  EXPECT_EQ(context.bundle_dir, *params.models);
  EXPECT_EQ(context.device.is_cuda(), torch::cuda::is_available());
  EXPECT_EQ(to_json(context).at("device"), context.device.str());
  params.threads = 2 <= max_threads() ? 2 : 1;
  EXPECT_EQ(resolve(params).threads, params.threads);
}

// OMP_NUM_THREADS as the test saw it, put back when the test ends.
class OmpNumThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv("OMP_NUM_THREADS")) saved_ = value;
  }
  void TearDown() override {
    if (saved_) {
      setenv("OMP_NUM_THREADS", saved_->c_str(), 1);
    } else {
      unsetenv("OMP_NUM_THREADS");
    }
  }
  static int auto_threads() {
    ContextParams params;
    params.models = test::source_dir() / "models" / "tiny-shapes";
    params.device = DeviceChoice::parse("cpu").value();
    return resolve(params).threads;
  }
  std::optional<std::string> saved_;
};

TEST_F(OmpNumThreads, AutoThreadsAreTheCoresUnlessOmpNumThreadsSaysFewer) {
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(auto_threads(), max_threads());
  setenv("OMP_NUM_THREADS", "1", 1);
  EXPECT_EQ(auto_threads(), 1);
  setenv("OMP_NUM_THREADS", "1,1", 1);  // a list: the first level's
  EXPECT_EQ(auto_threads(), 1);
  setenv("OMP_NUM_THREADS", std::to_string(max_threads() + 5).c_str(), 1);
  EXPECT_EQ(auto_threads(), max_threads());  // never more than the cores
  for (const char* ignored : {"", "0", "-2", "two", "2x"}) {
    setenv("OMP_NUM_THREADS", ignored, 1);
    EXPECT_EQ(auto_threads(), max_threads()) << "'" << ignored << "' is not a thread count";
  }
}

TEST(OutputValidation, RangesAndTheEmptyPath) {
  OutputParams params;
  EXPECT_NO_THROW(validate(params));
  params.frames_every = 0;
  EXPECT_THROW(validate(params), ParameterError);
  params = OutputParams{};
  params.save_every = -1;
  EXPECT_THROW(validate(params), ParameterError);
  params = OutputParams{};
  params.path.clear();
  EXPECT_THROW(validate(params), ParameterError);
}

TEST(ParameterError, DescribeRespellsTheFieldAndItsMentions) {
  const ParameterError error("init_image", "and {init_noise} cannot be combined ({init_noise} wins nothing)",
                             {"init_noise"});
  EXPECT_STREQ(error.what(), "init_image and init_noise cannot be combined (init_noise wins nothing)");
  const auto flags = [](std::string_view field) { return "--" + std::string(field); };
  EXPECT_EQ(error.describe(flags), "--init_image and --init_noise cannot be combined (--init_noise wins nothing)");
  const ParameterError with_braces("prompts", "'{init_noise} x||' is bad");
  EXPECT_EQ(with_braces.describe(flags), "--prompts '{init_noise} x||' is bad") << "only listed mentions are names";
}

}  // namespace
}  // namespace vqclip
