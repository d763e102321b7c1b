// render() through the library on the tiny bundle: reproducible within one
// process, independent of torch's global generator, stoppable and observable
// through its callbacks, and RenderOutput's files through those callbacks.
#include <ATen/core/Generator.h>

#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/models.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_output.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

using test::tiny_models;

GenerationParams quick(uint64_t seed, const std::string& prompt = "a red circle on a blue background") {
  GenerationParams params;
  params.prompts = {prompt};
  params.steps = 6;
  params.width = params.height = 32;
  params.seed = seed;
  params.cutouts.cutn = 4;
  return params;
}

TEST(RenderApi, TwoRendersInOneProcessWithTheSameSeedGiveTheSamePicture) {
  auto& models = tiny_models();
  const auto first = render(models, quick(5));
  // Another render and draws from torch's global generator in between must not matter.
  render(models, quick(6, "a green cross"));
  torch::rand({1000});
  const auto again = render(models, quick(5));
  EXPECT_TRUE(torch::equal(first.picture, again.picture));
  EXPECT_EQ(first.final_loss, again.final_loss);
  const auto other = render(models, quick(7));
  EXPECT_FALSE(torch::equal(first.picture, other.picture)) << "another seed, another picture";
}

TEST(RenderApi, ARunsGeneratorDrawsWhatManualSeedMakesTheGlobalOneDraw) {
  for (const uint64_t seed : {0ull, 7ull, 184964832153007ull}) {
    torch::manual_seed(seed);
    const auto normal = torch::randn({5});
    const auto uniform = torch::rand({3});
    const auto integers = torch::randint(1000, {4});
    const auto single = torch::randn({1});  // the normal sampler's cached second value
    auto generator = make_random_generator(seed, torch::kCPU);
    EXPECT_TRUE(torch::equal(torch::randn({5}, generator), normal)) << seed;
    EXPECT_TRUE(torch::equal(torch::rand({3}, generator), uniform)) << seed;
    EXPECT_TRUE(torch::equal(torch::randint(1000, {4}, generator), integers)) << seed;
    EXPECT_TRUE(torch::equal(torch::randn({1}, generator), single)) << seed;
  }
}

TEST(RenderApi, LeavesTorchsGlobalGeneratorAlone) {
  torch::manual_seed(123);
  const auto expected = torch::rand({8});
  torch::manual_seed(123);
  render(tiny_models(), quick(9));
  EXPECT_TRUE(torch::equal(torch::rand({8}), expected));
}

TEST(RenderApi, ResultHoldsTheResolvedParametersAndTheRecord) {
  auto params = quick(11);
  params.seed.reset();
  params.width = 37;  // rounded to the factor 8
  const auto result = render(tiny_models(), params);
  EXPECT_EQ(result.status, RenderStatus::kCompleted);
  ASSERT_TRUE(result.params.seed);
  EXPECT_EQ(*result.params.width, 40);
  EXPECT_EQ(result.picture.sizes().vec(), (std::vector<int64_t>{1, 3, 32, 40}));
  EXPECT_TRUE(result.picture.device().is_cpu());
  EXPECT_GE(result.picture.min().item<float>(), 0.0f);
  EXPECT_LE(result.picture.max().item<float>(), 1.0f);
  EXPECT_EQ(result.steps_done, 6);
  const auto& record = result.record;
  EXPECT_EQ(record.at("record_version"), kRecordVersion);
  EXPECT_EQ(record.at("generation").at("seed"), *result.params.seed);
  EXPECT_EQ(record.at("generation").at("width"), 40);
  EXPECT_EQ(record.at("status"), "completed");
  EXPECT_EQ(record.at("similarity").size(), 1u);
  EXPECT_TRUE(record_is_complete(record));
  EXPECT_NE(parameters_text(record).find("Seed: " + std::to_string(*result.params.seed) + ", Size: 40x32"),
            std::string::npos)
      << parameters_text(record);
}

TEST(RenderApi, OnStepSeesEveryStepAndCanStopTheRun) {
  std::vector<int> steps;
  std::vector<double> losses;
  RenderCallbacks callbacks;
  callbacks.on_step = [&](const StepInfo& info) {
    steps.push_back(info.step);
    losses.push_back(info.loss);
    EXPECT_EQ(info.steps, 6);
    EXPECT_GE(info.elapsed, 0.0);
    return info.step < 3;  // stop after the third step
  };
  const auto stopped = render(tiny_models(), quick(13), callbacks);
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(stopped.status, RenderStatus::kStopped);
  EXPECT_EQ(stopped.steps_done, 3);
  EXPECT_EQ(stopped.final_loss, losses.back());
  EXPECT_TRUE(stopped.record.at("interrupted").get<bool>());
  EXPECT_FALSE(record_is_complete(stopped.record));

  // The first three steps are those of a full run with the same seed.
  auto three = quick(13);
  three.steps = 3;
  // A 3-step run splits no story and drops no lr differently here, so only the length differs.
  const auto full_three = render(tiny_models(), three);
  EXPECT_TRUE(torch::equal(full_three.picture, stopped.picture));
}

TEST(RenderApi, PreviewsComeAtTheStepsAskedForWithTheRecordSoFar) {
  std::vector<int> asked, previewed;
  RenderCallbacks callbacks;
  callbacks.wants_preview = [&](int step, int steps) {
    asked.push_back(step);
    EXPECT_EQ(steps, 6);
    return step % 2 == 0;
  };
  callbacks.on_preview = [&](const Preview& preview) {
    previewed.push_back(preview.step);
    EXPECT_EQ(preview.picture.size(2), 32);
    EXPECT_EQ(preview.record.at("steps_done"), preview.step);
  };
  const auto result = render(tiny_models(), quick(17), callbacks);
  EXPECT_EQ(asked, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(previewed, (std::vector<int>{2, 4, 6}));
  EXPECT_TRUE(torch::equal(result.picture, render(tiny_models(), quick(17)).picture))
      << "previews change nothing";
}

TEST(RenderApi, RenderOutputWritesFramesPeriodicSavesAndTheFinalPicture) {
  const auto dir = test::scratch_dir("render-output");
  OutputParams params;
  params.path = dir / "out.png";
  params.frames_dir = dir / "frames";
  params.frames_every = 3;
  params.save_every = 2;
  RenderOutput output(params);
  output.check_writable();
  std::vector<bool> out_existed_at;
  RenderCallbacks callbacks;
  callbacks.wants_preview = [&](int step, int steps) { return output.wants_preview(step, steps); };
  callbacks.on_preview = [&](const Preview& preview) { output.write_preview(preview); };
  callbacks.on_step = [&](const StepInfo& info) {
    out_existed_at.push_back(std::filesystem::exists(params.path));
    EXPECT_EQ(output.frame_at(info.step).has_value(), info.step % 3 == 0) << info.step;
    return true;
  };
  const auto result = render(tiny_models(), quick(19), callbacks);
  EXPECT_EQ(out_existed_at, (std::vector<bool>{false, true, true, true, true, true})) << "saved every 2 steps";
  EXPECT_TRUE(std::filesystem::exists(dir / "frames" / "frame_000003.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "frames" / "frame_000006.png"));
  EXPECT_FALSE(std::filesystem::exists(dir / "frames" / "frame_000002.png"));
  EXPECT_FALSE(record_is_complete(read_picture_record(params.path))) << "a periodic save is marked unfinished";
  output.write_final(result);
  EXPECT_EQ(read_picture_record(params.path), result.record);
}

TEST(RenderApi, StartsFromAPictureInMemory) {
  const auto start = render(tiny_models(), quick(23));
  auto params = quick(29);
  params.init_image = ImageSource::in_memory(tensor_to_image(start.picture));
  params.init_weight = 0.5;
  const auto result = render(tiny_models(), params);
  EXPECT_EQ(result.status, RenderStatus::kCompleted);
  EXPECT_EQ(result.record.at("generation").at("init_image"), "<image 32x32>");
  params.init_image = ImageSource::file("/nonexistent/start.png");
  EXPECT_THROW(render(tiny_models(), params), InputError);
}

TEST(RenderApi, RefusesInvalidParametersAndMissingParts) {
  auto params = quick(31);
  params.steps = 0;
  EXPECT_THROW(render(tiny_models(), params), ParameterError);
  LoadOptions clip_only;
  clip_only.verify_hashes = false;
  clip_only.parts = ModelParts::clip_only();
  auto models = load_models(test::source_dir() / "models" / "tiny-shapes", clip_only);
  EXPECT_FALSE(models.vqgan.has_value());
  EXPECT_THROW(render(models, quick(31)), BundleError);
}

}  // namespace
}  // namespace vqclip
