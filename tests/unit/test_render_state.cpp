// Resumable renders: a render stopped and continued from its state, in
// memory or through a file, ends with the uninterrupted run's picture bit for
// bit; a state from other settings or another bundle is refused naming what
// differs; a damaged state file is an input error.
#include <fstream>

#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip {
namespace {

using test::tiny_models;

// Long enough for the learning-rate drop (at step 6) to fall after the stop.
GenerationParams twelve_steps(int batch = 0) {
  GenerationParams params;
  params.prompts = {"a red circle on a blue background"};
  params.steps = 12;
  params.width = params.height = 32;
  params.seed = 11;
  params.cutouts.cutn = 6;
  params.cutouts.batch = batch;
  params.init_weight = 0.2;
  params.optimiser.lr_drop_at = 0.5;
  return params;
}

// The render stopped after `stop_after` steps, with the states it handed over
// every `every` steps and at the stop.
std::pair<RenderResult, std::vector<RenderState>> stopped_render(const GenerationParams& params, int stop_after,
                                                                 int every) {
  std::vector<RenderState> states;
  RenderCallbacks callbacks;
  callbacks.wants_state = [every](int step, int) { return step % every == 0; };
  callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
  callbacks.on_step = [stop_after](const StepInfo& info) { return info.step < stop_after; };
  auto result = render(tiny_models(), params, callbacks);
  return {std::move(result), std::move(states)};
}

TEST(RenderState, AStoppedRenderContinuedFromItsStateEndsWithTheUninterruptedPicture) {
  for (const int batch : {0, 4}) {
    const auto params = twelve_steps(batch);
    const auto whole = render(tiny_models(), params);
    const auto [stopped, states] = stopped_render(params, 5, 2);
    ASSERT_EQ(stopped.status, RenderStatus::kStopped);
    ASSERT_EQ(states.size(), 3u) << "after steps 2 and 4, and at the stop";
    EXPECT_EQ(states[0].loop.steps_done, 2);
    EXPECT_EQ(states[2].loop.steps_done, 5);
    EXPECT_FALSE(torch::equal(stopped.picture, whole.picture));

    const auto path = test::scratch_dir("render_state") / "run.state";
    save_render_state(states[2], path);
    const auto loaded = load_render_state(path);
    EXPECT_EQ(loaded.source, path.string());
    auto without_seed = params;
    without_seed.seed.reset();  // taken from the state
    const auto resumed = render(tiny_models(), without_seed, {}, &loaded);
    EXPECT_EQ(resumed.status, RenderStatus::kCompleted);
    EXPECT_EQ(resumed.steps_done, 12);
    EXPECT_EQ(resumed.record["resumed_from_step"], 5);
    EXPECT_EQ(resumed.record["generation"], whole.record["generation"]);
    EXPECT_TRUE(torch::equal(resumed.picture, whole.picture)) << "batch " << batch << ": from step 5";
    EXPECT_EQ(resumed.final_loss, whole.final_loss);

    // An earlier state in memory, before the learning-rate drop.
    const auto from_two = render(tiny_models(), params, {}, &states[0]);
    EXPECT_TRUE(torch::equal(from_two.picture, whole.picture)) << "batch " << batch << ": from step 2";
  }
}

TEST(RenderState, AFinishedRendersStateGivesItsPictureAgainWithoutSteps) {
  const auto params = twelve_steps();
  std::vector<RenderState> states;
  RenderCallbacks callbacks;
  callbacks.wants_state = [](int, int) { return false; };
  callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
  const auto whole = render(tiny_models(), params, callbacks);
  ASSERT_EQ(states.size(), 1u) << "one state at the end";
  int steps_seen = 0;
  RenderCallbacks counting;
  counting.on_step = [&steps_seen](const StepInfo&) { return ++steps_seen > 0; };
  const auto again = render(tiny_models(), params, counting, &states[0]);
  EXPECT_EQ(steps_seen, 0);
  EXPECT_TRUE(torch::equal(again.picture, whole.picture));
}

TEST(RenderState, AStateFromOtherSettingsOrAnotherBundleIsRefusedNamingWhatDiffers) {
  const auto params = twelve_steps();
  const auto [stopped, states] = stopped_render(params, 3, 100);
  ASSERT_EQ(states.size(), 1u);
  const auto refused_field = [&](const GenerationParams& other, const RenderState& state) -> std::string {
    try {
      render(tiny_models(), other, {}, &state);
    } catch (const ParameterError& e) {
      return e.field() + ": " + e.what();
    }
    return "nothing refused";
  };
  auto more_steps = params;
  more_steps.steps = 20;
  EXPECT_EQ(refused_field(more_steps, states[0]).rfind("steps: steps 20 here, but the state file <in memory> holds 12", 0), 0u)
      << refused_field(more_steps, states[0]);
  auto other_prompt = params;
  other_prompt.prompts = {"a green cross"};
  EXPECT_EQ(refused_field(other_prompt, states[0]).rfind("prompts:", 0), 0u);
  auto other_size = params;
  other_size.width = 64;
  EXPECT_EQ(refused_field(other_size, states[0]).rfind("size:", 0), 0u);
  auto other_seed = params;
  other_seed.seed = 12;
  EXPECT_EQ(refused_field(other_seed, states[0]).rfind("seed:", 0), 0u);

  auto other_bundle = states[0];
  other_bundle.made_with["bundle"]["clip_image.pt"] = std::string(64, '0');
  EXPECT_NE(refused_field(params, other_bundle).find("written with another bundle"), std::string::npos);
  auto other_device = states[0];
  other_device.made_with["context"]["precision"] = "bf16";
  EXPECT_EQ(refused_field(params, other_device).rfind("precision:", 0), 0u);
}

TEST(RenderState, DamagedOrForeignFilesAreInputErrorsNamingTheFile) {
  const auto dir = test::scratch_dir("render_state_damaged");
  const auto write = [&dir](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  const auto [stopped, states] = stopped_render(twelve_steps(), 2, 100);
  ASSERT_EQ(states.size(), 1u);
  save_render_state(states[0], dir / "good.state");
  std::ifstream good(dir / "good.state", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(good)), std::istreambuf_iterator<char>());

  auto changed = bytes;
  changed[changed.size() / 2] = static_cast<char>(changed[changed.size() / 2] ^ 0x20);
  // A damaged file never reaches libtorch's archive reader: the checksum at its end refuses it.
  const auto damaged = write("changed.state", changed);
  try {
    load_render_state(damaged);
    ADD_FAILURE() << "a changed state was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged (its checksum does not match"), std::string::npos) << e.what();
  }
  for (const auto& path : {dir / "missing.state", write("empty.state", ""), write("text.state", "not a state\n"),
                           write("truncated.state", bytes.substr(0, bytes.size() / 2)), damaged}) {
    try {
      load_render_state(path);
      ADD_FAILURE() << path << " was read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(load_render_state(dir / "good.state").loop.steps_done, 2);
}

}  // namespace
}  // namespace vqclip
