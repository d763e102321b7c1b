// The high-resolution pass: a first pass that is the plain render, a second
// at the larger size from its picture, steps counted over both, a record that
// holds both passes, and a state taken in either pass that continues to the
// uninterrupted picture bit for bit.
#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/record.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip {
namespace {

using test::tiny_models;

GenerationParams with_second_pass() {
  GenerationParams params;
  params.prompts = {"a red circle on a blue background"};
  params.steps = 6;
  params.width = params.height = 32;
  params.seed = 5;
  params.cutouts.cutn = 4;
  params.hires.scale = 2;
  params.hires.steps = 4;
  return params;
}

TEST(HiresPass, TheFirstPassIsThePlainRenderAndTheSecondRefinesItAtTheLargerSize) {
  const auto params = with_second_pass();
  auto plain = params;
  plain.hires = {};
  const auto small = render(tiny_models(), plain);

  std::vector<StepInfo> steps;
  std::vector<std::vector<int64_t>> preview_sizes;
  torch::Tensor first_pass_picture;
  RenderCallbacks callbacks;
  callbacks.on_step = [&steps](const StepInfo& info) {
    steps.push_back(info);
    return true;
  };
  callbacks.wants_preview = [](int step, int) { return step == 6 || step == 10; };
  callbacks.on_preview = [&](const Preview& preview) {
    preview_sizes.push_back(preview.picture.sizes().vec());
    if (preview.step == 6) first_pass_picture = preview.picture.to(torch::kCPU).clone();
  };
  const auto result = render(tiny_models(), params, callbacks);

  EXPECT_EQ(result.status, RenderStatus::kCompleted);
  EXPECT_EQ(result.picture.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  ASSERT_EQ(steps.size(), 10u) << "6 steps, then 4";
  EXPECT_EQ(steps.back().step, 10);
  EXPECT_EQ(steps.back().steps, 10);
  EXPECT_EQ(result.steps_done, 10);
  ASSERT_EQ(preview_sizes.size(), 2u);
  EXPECT_EQ(preview_sizes[0], (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_EQ(preview_sizes[1], (std::vector<int64_t>{1, 3, 64, 64}));
  ASSERT_TRUE(first_pass_picture.defined());
  EXPECT_TRUE(torch::equal(first_pass_picture, small.picture)) << "the first pass is the plain render";

  const auto& record = result.record;
  EXPECT_EQ(record.at("generation").at("hires_scale"), 2.0);
  EXPECT_EQ(record.at("generation").at("hires_steps"), 4);
  EXPECT_EQ(record.at("generation").at("width"), 32) << "the size asked for is the first pass's";
  ASSERT_EQ(record.at("passes").size(), 2u);
  EXPECT_EQ(record["passes"][0].at("width"), 32);
  EXPECT_EQ(record["passes"][0].at("steps_done"), 6);
  EXPECT_EQ(record["passes"][0].at("final_loss"), small.final_loss);
  EXPECT_EQ(record["passes"][1].at("width"), 64);
  EXPECT_EQ(record["passes"][1].at("height"), 64);
  EXPECT_EQ(record["passes"][1].at("steps"), 4);
  EXPECT_EQ(record["passes"][1].at("steps_done"), 4);
  EXPECT_EQ(record.at("steps_done"), 10);
  EXPECT_TRUE(record_is_complete(record));
  auto short_record = record;
  short_record["steps_done"] = 6;
  EXPECT_FALSE(record_is_complete(short_record)) << "the first pass alone is not the whole render";
  EXPECT_NE(parameters_text(record).find("Hires: 2x, 4 steps"), std::string::npos) << parameters_text(record);

  const auto again = render(tiny_models(), params);
  EXPECT_TRUE(torch::equal(again.picture, result.picture)) << "a seed reproduces both passes";
}

TEST(HiresPass, TheSecondPassStartsFromTheFirstPicture) {
  // One second-pass step with a tiny learning rate: the picture is still the
  // first one upscaled, as far as the VQGAN's encoding keeps it.
  auto params = with_second_pass();
  params.hires.steps = 1;
  params.optimiser.lr = 1e-6;
  const auto result = render(tiny_models(), params);
  auto plain = params;
  plain.hires = {};
  const auto small = render(tiny_models(), plain);
  const auto downscaled = torch::nn::functional::interpolate(
      result.picture, torch::nn::functional::InterpolateFuncOptions()
                          .size(std::vector<int64_t>{32, 32})
                          .mode(torch::kArea));
  const double from_first = (downscaled - small.picture).abs().mean().item<double>();
  auto other_seed = plain;
  other_seed.seed = 99;
  const double from_other = (downscaled - render(tiny_models(), other_seed).picture).abs().mean().item<double>();
  EXPECT_LT(from_first, 0.5 * from_other) << "from its own first pass: " << from_first
                                          << ", from another seed's: " << from_other;
}

// The states the render hands over every `every` steps, stopped after `stop_after`.
std::vector<RenderState> states_until(const GenerationParams& params, int stop_after, int every) {
  std::vector<RenderState> states;
  RenderCallbacks callbacks;
  callbacks.wants_state = [every](int step, int) { return step % every == 0; };
  callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
  callbacks.on_step = [stop_after](const StepInfo& info) { return info.step < stop_after; };
  render(tiny_models(), params, callbacks);
  return states;
}

TEST(HiresPass, AStateFromEitherPassContinuesToTheUninterruptedPicture) {
  const auto params = with_second_pass();
  const auto whole = render(tiny_models(), params);
  for (const int stop_after : {3, 6, 8}) {
    const auto states = states_until(params, stop_after, 100);
    ASSERT_EQ(states.size(), 1u) << "the state at the stop";
    const auto& state = states.back();
    EXPECT_EQ(state.second_pass.has_value(), stop_after > 6) << "stopped after step " << stop_after;
    const auto path = test::scratch_dir("hires_state") / ("after-" + std::to_string(stop_after) + ".state");
    save_render_state(state, path);
    const auto loaded = load_render_state(path);
    ASSERT_EQ(loaded.second_pass.has_value(), state.second_pass.has_value());
    if (loaded.second_pass) {
      EXPECT_TRUE(torch::equal(loaded.second_pass->start[0], state.second_pass->start[0]));
      EXPECT_EQ(loaded.second_pass->first_pass, state.second_pass->first_pass);
    }

    int steps_seen = 0;
    RenderCallbacks counting;
    counting.on_step = [&steps_seen](const StepInfo&) { return ++steps_seen > 0; };
    const auto resumed = render(tiny_models(), params, counting, &loaded);
    EXPECT_EQ(steps_seen, 10 - stop_after);
    EXPECT_EQ(resumed.status, RenderStatus::kCompleted);
    EXPECT_EQ(resumed.record["resumed_from_step"], stop_after);
    EXPECT_TRUE(torch::equal(resumed.picture, whole.picture)) << "resumed after step " << stop_after;
    EXPECT_EQ(resumed.record["passes"][0].at("final_loss"), whole.record["passes"][0].at("final_loss"));
    EXPECT_TRUE(record_is_complete(resumed.record));
  }
}

TEST(HiresPass, AStateOfThePlainRenderDoesNotContinueOneWithASecondPass) {
  auto plain = with_second_pass();
  plain.hires = {};
  const auto states = states_until(plain, 3, 100);
  ASSERT_EQ(states.size(), 1u);
  try {
    render(tiny_models(), with_second_pass(), {}, &states[0]);
    FAIL() << "a plain render's state continued a render with a second pass";
  } catch (const ParameterError& e) {
    EXPECT_EQ(e.field(), "hires_scale") << e.what();
  }
}

TEST(HiresPass, AStateFileFromBeforeTheSecondPassExistedStillContinues) {
  auto plain = with_second_pass();
  plain.hires = {};
  auto states = states_until(plain, 3, 100);
  ASSERT_EQ(states.size(), 1u);
  auto& generation = states[0].made_with["generation"];
  generation.erase("hires_scale");
  generation.erase("hires_steps");
  const auto resumed = render(tiny_models(), plain, {}, &states[0]);
  EXPECT_TRUE(torch::equal(resumed.picture, render(tiny_models(), plain).picture));
}

}  // namespace
}  // namespace vqclip
