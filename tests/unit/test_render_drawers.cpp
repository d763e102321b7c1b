// render() with the drawers other than the VQGAN: reproducible from the
// seed, recorded, resumable bit for bit (several parameter tensors), with a
// second pass, and without loading the VQGAN at all.
#include "test_env.hpp"
#include "tiny_models.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip {
namespace {

using test::tiny_models;

GenerationParams with_drawer(DrawerKind kind, uint64_t seed = 3) {
  GenerationParams params;
  params.prompts = {"a red circle on a blue background"};
  params.steps = 8;
  params.width = params.height = 32;
  params.seed = seed;
  params.cutouts.cutn = 4;
  params.drawer.kind = kind;
  params.init_weight = 0.1;  // the pull on several parameter tensors
  params.optimiser.lr_drop_at = 0.5;
  return params;
}

GenerationParams palette_art(uint64_t seed = 3) {
  auto params = with_drawer(DrawerKind::kPixelArt, seed);
  params.drawer.pixel_art.palette = 4;
  return params;
}

GenerationParams vector_shapes_and_strokes(uint64_t seed = 3) {
  auto params = with_drawer(DrawerKind::kVector, seed);
  params.drawer.vector.shapes = 6;
  params.drawer.vector.strokes = 2;
  return params;
}

// The CLIP part alone: what the drawers other than the VQGAN need.
Models& clip_only_models() {
  static Models models = [] {
    LoadOptions options;
    options.verify_hashes = false;
    options.parts = ModelParts::for_render(/*needs_vqgan=*/false, /*needs_encoder=*/false);
    return load_models(test::source_dir() / "models" / "tiny-shapes", options);
  }();
  return models;
}

TEST(RenderDrawers, ASeedReproducesEachDrawersPictureAndTheRecordNamesTheDrawer) {
  for (const auto& params : {with_drawer(DrawerKind::kPixels), palette_art(), vector_shapes_and_strokes()}) {
    const auto first = render(tiny_models(), params);
    EXPECT_EQ(first.status, RenderStatus::kCompleted);
    EXPECT_TRUE(torch::equal(first.picture, render(tiny_models(), params).picture));
    auto other = params;
    other.seed = 4;
    EXPECT_FALSE(torch::equal(first.picture, render(tiny_models(), other).picture));
    const auto& generation = first.record.at("generation");
    EXPECT_EQ(generation.at("drawer"), std::string(name_of(*params.drawer.kind)));
  }
}

TEST(RenderDrawers, AStoppedPaletteRenderResumedFromItsStateFileEndsWithTheUninterruptedPicture) {
  const auto params = palette_art();
  const auto whole = render(tiny_models(), params);
  std::vector<RenderState> states;
  RenderCallbacks callbacks;
  callbacks.wants_state = [](int, int) { return false; };
  callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
  callbacks.on_step = [](const StepInfo& info) { return info.step < 3; };
  render(tiny_models(), params, callbacks);
  ASSERT_EQ(states.size(), 1u);
  ASSERT_EQ(states[0].loop.parameters.size(), 2u) << "choices and palette";
  const auto path = test::scratch_dir("render_drawers") / "art.state";
  save_render_state(states[0], path);
  const auto loaded = load_render_state(path);
  ASSERT_EQ(loaded.loop.parameters.size(), 2u);
  const auto resumed = render(tiny_models(), params, {}, &loaded);
  EXPECT_TRUE(torch::equal(resumed.picture, whole.picture));

  auto other_drawer = params;
  other_drawer.drawer.pixel_art.palette = 5;
  EXPECT_THROW(render(tiny_models(), other_drawer, {}, &loaded), ParameterError);
}

TEST(RenderDrawers, ASecondPassStartsFromTheFirstPictureAndResumesInEitherPass) {
  auto params = with_drawer(DrawerKind::kPixels);
  params.hires.scale = 2;
  params.hires.steps = 4;
  const auto whole = render(clip_only_models(), params);
  ASSERT_EQ(whole.picture.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  ASSERT_EQ(whole.record.at("passes").size(), 2u);
  for (const int stop : {5, 10}) {
    std::vector<RenderState> states;
    RenderCallbacks callbacks;
    callbacks.wants_state = [](int, int) { return false; };
    callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
    callbacks.on_step = [stop](const StepInfo& info) { return info.step < stop; };
    render(clip_only_models(), params, callbacks);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].second_pass.has_value(), stop > params.steps) << stop;
    const auto resumed = render(clip_only_models(), params, {}, &states[0]);
    EXPECT_TRUE(torch::equal(resumed.picture, whole.picture)) << "stopped at " << stop;
  }
}

TEST(RenderDrawers, AVectorRenderResumesBitForBitMidwayAndFromItsFinalStateAndHasAnSvg) {
  const auto params = vector_shapes_and_strokes();
  std::vector<RenderState> states;
  RenderCallbacks callbacks;
  callbacks.wants_state = [](int step, int) { return step == 3; };
  callbacks.on_state = [&states](const RenderState& state) { states.push_back(state); };
  const auto whole = render(clip_only_models(), params, callbacks);
  EXPECT_NE(whole.svg.find("<svg"), std::string::npos);
  ASSERT_EQ(states.size(), 2u) << "after step 3 and at the end";
  ASSERT_EQ(states[0].loop.parameters.size(), 6u) << "shapes' points and colours, strokes' points, colours and "
                                                     "widths, background";
  EXPECT_EQ(states[1].steps_done(), params.steps);
  for (const auto& state : states) {
    const auto resumed = render(clip_only_models(), params, {}, &state);
    EXPECT_TRUE(torch::equal(resumed.picture, whole.picture)) << "resumed at step " << state.steps_done();
    EXPECT_EQ(resumed.svg, whole.svg);
  }
  auto other = params;
  other.drawer.vector.segments = 3;
  EXPECT_THROW(render(clip_only_models(), other, {}, &states[0]), ParameterError);
}

TEST(RenderDrawers, DrawersOtherThanTheVqgansNeedNoVqganAndTheVqgansDoes) {
  const auto art = render(clip_only_models(), palette_art());
  EXPECT_TRUE(torch::equal(art.picture, render(tiny_models(), palette_art()).picture))
      << "the same picture whether or not the VQGAN is loaded";
  EXPECT_THROW(render(clip_only_models(), with_drawer(DrawerKind::kVqgan)), BundleError);
}

}  // namespace
}  // namespace vqclip
