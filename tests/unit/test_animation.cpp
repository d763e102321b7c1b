// Animations in the library: the schedule and prompt keyframe syntax (tables
// of good and bad forms, each error naming the keyframe), the frame transform,
// each frame's parameters (story phases, keyframed prompts and their blends),
// interpolation on the sphere, and animate() on the tiny bundle (latent
// smoothing, stopping, and a resumed run that equals an uninterrupted one).
#include <gtest/gtest.h>

#include "tiny_models.hpp"
#include "vqclip/animation.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

struct ScheduleCase {
  const char* text;
  std::vector<std::pair<int, double>> keyframes;
  const char* canonical;
};

TEST(Schedule, ParsesConstantsAndKeyframes) {
  const std::vector<ScheduleCase> cases{
      {"1.02", {{0, 1.02}}, "1.02"},
      {"  -3 ", {{0, -3}}, "-3"},
      {"1e-2", {{0, 0.01}}, "0.01"},
      {"0:1.0, 60:1.04", {{0, 1.0}, {60, 1.04}}, "0:1, 60:1.04"},
      {"10:0,20:5,30:-5", {{10, 0}, {20, 5}, {30, -5}}, "10:0, 20:5, 30:-5"},
      {" 5 : 2 ", {{5, 2}}, "5:2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto schedule = Schedule::parse(c.text, "zoom");
    EXPECT_EQ(schedule.keyframes(), c.keyframes);
    EXPECT_EQ(schedule.to_string(), c.canonical);
    EXPECT_EQ(Schedule::parse(schedule.to_string(), "zoom").keyframes(), c.keyframes);
  }
}

TEST(Schedule, RefusesBadFormsNamingTheKeyframe) {
  const std::vector<std::pair<const char*, const char*>> cases{
      {"", "expected a number or keyframes"},
      {"fast", "expected a number or keyframes"},
      {"inf", "expected a number or keyframes"},
      {"0:1, 60", "keyframe 2 '60': expected FRAME:VALUE"},
      {"0:1, x:2", "keyframe 2 'x:2': the frame is not a whole number from 0"},
      {"-1:2", "keyframe 1 '-1:2': the frame is not a whole number from 0"},
      {"0:1, 5:", "keyframe 2 '5:': the value is not a finite number"},
      {"0:1, 5:nan", "keyframe 2 '5:nan': the value is not a finite number"},
      {"0:1, 10:2, 10:3", "keyframe 3 '10:3': frames must increase (after frame 10)"},
      {"0:1,, 5:2", "keyframe 2 '': expected FRAME:VALUE"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    try {
      Schedule::parse(text, "angle");
      ADD_FAILURE() << "accepted";
    } catch (const ParameterError& e) {
      EXPECT_EQ(e.field(), "angle");
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(Schedule, InterpolatesLinearlyAndHoldsOutsideTheKeyframes) {
  const auto schedule = Schedule::parse("10:1, 20:2, 40:0", "zoom");
  EXPECT_DOUBLE_EQ(schedule.at(0), 1);
  EXPECT_DOUBLE_EQ(schedule.at(10), 1);
  EXPECT_DOUBLE_EQ(schedule.at(15), 1.5);
  EXPECT_DOUBLE_EQ(schedule.at(20), 2);
  EXPECT_DOUBLE_EQ(schedule.at(30), 1);
  EXPECT_DOUBLE_EQ(schedule.at(40), 0);
  EXPECT_DOUBLE_EQ(schedule.at(1000), 0);
  EXPECT_DOUBLE_EQ(Schedule(3.5).at(7), 3.5);
}

TEST(AnimationParams, ValidateNamesTheField) {
  const auto field_of = [](const AnimationParams& params) {
    try {
      validate(params);
    } catch (const ParameterError& e) {
      return e.field();
    }
    return std::string("none");
  };
  AnimationParams params;
  EXPECT_EQ(field_of(params), "none");
  params.frames = 0;
  EXPECT_EQ(field_of(params), "frames");
  params = {};
  params.steps_per_frame = 0;
  EXPECT_EQ(field_of(params), "steps_per_frame");
  params = {};
  params.fps = 0;
  EXPECT_EQ(field_of(params), "fps");
  params = {};
  params.motion.zoom = Schedule::parse("0:1, 9:3", "zoom");
  EXPECT_EQ(field_of(params), "zoom");
  params = {};
  params.frame_pull = -1;
  EXPECT_EQ(field_of(params), "frame_pull");
  params = {};
  params.latent_smoothing = 1;
  EXPECT_EQ(field_of(params), "latent_smoothing");
}

TEST(PromptKeyframes, ParseFrameAndText) {
  const std::vector<std::tuple<const char*, int, const char*>> cases{
      {"0:a red circle", 0, "a red circle"},
      {" 30 : a blue square:2 ", 30, "a blue square:2"},
      {"12:at 10:30", 12, "at 10:30"},
  };
  for (const auto& [value, frame, text] : cases) {
    SCOPED_TRACE(value);
    const auto keyframe = parse_prompt_keyframe(value);
    EXPECT_EQ(keyframe.frame, frame);
    EXPECT_EQ(keyframe.text, text);
  }
  for (const char* bad : {"a red circle", "x:a red circle", "-1:a red circle", ":a red circle"}) {
    SCOPED_TRACE(bad);
    try {
      parse_prompt_keyframe(bad);
      ADD_FAILURE() << "accepted";
    } catch (const ParameterError& e) {
      EXPECT_EQ(e.field(), "prompt_keyframes");
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "': expected FRAME:TEXT"), std::string::npos)
          << e.what();
    }
  }
}

TEST(PromptKeyframes, ValidateNamesTheKeyframeAtFault) {
  const std::vector<std::pair<std::vector<PromptKeyframe>, const char*>> cases{
      {{{0, "a red circle"}, {10, "a blue square"}, {10, "a cross"}},
       "keyframe 3 '10:a cross': frames must increase (after frame 10)"},
      {{{0, "a red circle | a blue square"}}, "keyframe 1 '0:a red circle | a blue square': one text a keyframe"},
      {{{0, "a red circle"}, {5, "a square ^ a cross"}}, "keyframe 2 '5:a square ^ a cross': one text a keyframe"},
      {{{0, "a red circle:1:0.5"}}, "keyframe 1 '0:a red circle:1:0.5': a keyframe takes no stop"},
      {{{0, ""}}, "prompt_keyframes"},
  };
  for (const auto& [keyframes, message] : cases) {
    SCOPED_TRACE(message);
    AnimationParams params;
    params.prompt_keyframes = keyframes;
    try {
      validate(params);
      ADD_FAILURE() << "accepted";
    } catch (const ParameterError& e) {
      EXPECT_EQ(e.field(), "prompt_keyframes");
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(AnimationParams, FieldsEarlierFramesLackCountAsWhatFramesWereMadeWithThen) {
  AnimationParams params;
  params.latent_smoothing = 0;  // frames made before smoothing existed had none
  auto earlier = to_json(params);
  earlier.erase("latent_smoothing");
  earlier.erase("prompt_keyframes");
  EXPECT_EQ(first_animation_difference(earlier, to_json(params)), std::nullopt);
  EXPECT_EQ(first_animation_difference(earlier, to_json(AnimationParams{})), "latent_smoothing");  // 0.25 now
  params.prompt_keyframes = {{0, "a red circle"}};
  EXPECT_EQ(first_animation_difference(earlier, to_json(params)), "prompt_keyframes");
  params.prompt_keyframes.clear();
  params.fps = 30;
  EXPECT_EQ(first_animation_difference(earlier, to_json(params)), std::nullopt);  // frames stay valid
}

// A picture whose every pixel differs: a gradient in x and y per channel.
torch::Tensor gradient_picture(int height, int width) {
  const auto y = torch::linspace(0, 1, height).view({1, 1, height, 1}).expand({1, 1, height, width});
  const auto x = torch::linspace(0, 1, width).view({1, 1, 1, width}).expand({1, 1, height, width});
  return torch::cat({x, y, (x + y) / 2}, 1).contiguous();
}

TEST(MovePicture, NoMoveKeepsThePicture) {
  const auto picture = gradient_picture(16, 24);
  EXPECT_TRUE(torch::allclose(move_picture(picture, 1, 0, 0, 0), picture, 0, 1e-6));
}

TEST(MovePicture, AWholePixelShiftMovesTheContentAndReflectsAtTheEdge) {
  const auto picture = gradient_picture(8, 10);
  const auto moved = move_picture(picture, 1, 0, 2, 0);  // two pixels to the right
  using torch::indexing::None;
  using torch::indexing::Slice;
  EXPECT_TRUE(torch::allclose(moved.index({Slice(), Slice(), Slice(), Slice(2, None)}),
                              picture.index({Slice(), Slice(), Slice(), Slice(0, 8)}), 0, 1e-6));
  // What came into view on the left is the picture mirrored at its edge, not black.
  EXPECT_TRUE(torch::allclose(moved.index({Slice(), Slice(), Slice(), 1}), picture.index({Slice(), Slice(), Slice(), 0}),
                              0, 1e-6));
  EXPECT_TRUE(torch::allclose(moved.index({Slice(), Slice(), Slice(), 0}), picture.index({Slice(), Slice(), Slice(), 1}),
                              0, 1e-6));
  const auto down = move_picture(picture, 1, 0, 0, 3);  // three pixels down
  EXPECT_TRUE(torch::allclose(down.index({Slice(), Slice(), Slice(3, None)}), picture.index({Slice(), Slice(), Slice(0, 5)}),
                              0, 1e-6));
}

TEST(MovePicture, AQuarterTurnIsCounterClockwiseOnScreen) {
  const auto picture = gradient_picture(12, 12);
  // Counter-clockwise on screen: the right edge comes to the top.
  const auto turned = move_picture(picture, 1, 90, 0, 0);
  EXPECT_TRUE(torch::allclose(turned, torch::rot90(picture, 1, {2, 3}), 0, 1e-5));
}

TEST(MovePicture, ZoomingInTwiceShowsTheMiddleHalfEnlarged) {
  const auto picture = gradient_picture(16, 16);
  const auto zoomed = move_picture(picture, 2, 0, 0, 0);
  // The centre stays; a point at a quarter of the way from the centre lands at half.
  using torch::indexing::Slice;
  const auto expected = torch::nn::functional::interpolate(
      picture.index({Slice(), Slice(), Slice(4, 12), Slice(4, 12)}),
      torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{16, 16}).mode(torch::kBilinear)
          .align_corners(false));
  EXPECT_TRUE(torch::allclose(zoomed.index({Slice(), Slice(), Slice(2, 14), Slice(2, 14)}),
                              expected.index({Slice(), Slice(), Slice(2, 14), Slice(2, 14)}), 0, 1e-5));
}

GenerationParams still_params() {
  GenerationParams params;
  params.prompts = {"a red circle on a blue background ^ a green square ^ a white cross"};
  params.steps = 8;
  params.width = params.height = 32;
  params.seed = 11;
  params.cutouts.cutn = 4;
  params.init_weight = 0.3;
  return params;
}

RgbImage flat_image(int size, uint8_t value) {
  RgbImage image;
  image.width = image.height = size;
  image.pixels.assign(static_cast<size_t>(size) * size * 3, value);
  return image;
}

TEST(FrameParams, TheFirstFrameIsTheStillAndLaterOnesStartFromThePreviousPicture) {
  AnimationParams animation;
  animation.frames = 6;
  animation.steps_per_frame = 3;
  animation.frame_pull = 0.7;
  auto single = still_params();
  single.prompts = {"a red circle"};
  EXPECT_EQ(to_json(frame_params(single, animation, 0, nullptr)), to_json(single));

  const auto previous = flat_image(32, 200);
  const auto third = frame_params(still_params(), animation, 3, &previous);
  EXPECT_EQ(third.steps, 3);
  EXPECT_EQ(*third.seed, 14u);
  EXPECT_DOUBLE_EQ(third.init_weight, 0.7);
  ASSERT_TRUE(third.init_image.has_value());
  const auto start = third.init_image->read();
  EXPECT_EQ(start.width, 32);
  EXPECT_EQ(start.pixels, previous.pixels);  // a flat picture moved is the same picture
  EXPECT_THROW(frame_params(still_params(), animation, 1, nullptr), InternalError);
}

TEST(FrameParams, AStorysPhasesShareTheFramesEvenly) {
  AnimationParams animation;
  animation.frames = 6;
  const auto previous = flat_image(32, 10);
  std::vector<std::string> seen;
  for (int frame = 0; frame < 6; ++frame) {
    seen.push_back(frame_params(still_params(), animation, frame, &previous).prompts.at(0));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a red circle on a blue background ", "a red circle on a blue background ",
                                            " a green square ", " a green square ", " a white cross",
                                            " a white cross"}));
}

TEST(FrameParams, KeyframedPromptsHoldAtKeyframesAndBlendBetweenThem) {
  AnimationParams animation;
  animation.frames = 20;
  animation.prompt_keyframes = {{4, "a red circle"}, {8, "a blue square:3"}, {16, "a white cross"}};
  GenerationParams still = still_params();
  still.prompts = {"a green background"};
  const auto previous = flat_image(32, 10);
  struct Expected {
    int frame;
    std::vector<std::string> prompts;
    std::vector<BlendedPrompt> blends;
  };
  const std::vector<Expected> cases{
      {0, {"a green background", "a red circle"}, {}},       // before the first keyframe: its text
      {4, {"a green background", "a red circle"}, {}},
      {5, {"a green background"}, {{"a red circle", "a blue square", 0.25, 1.5}}},
      {7, {"a green background"}, {{"a red circle", "a blue square", 0.75, 2.5}}},
      {8, {"a green background", "a blue square:3"}, {}},
      {12, {"a green background"}, {{"a blue square", "a white cross", 0.5, 2}}},
      {19, {"a green background", "a white cross"}, {}},     // after the last: its text
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.frame);
    const auto params = frame_params(still, animation, c.frame, &previous);
    EXPECT_EQ(params.prompts, c.prompts);
    ASSERT_EQ(params.blended_prompts.size(), c.blends.size());
    for (size_t i = 0; i < c.blends.size(); ++i) {
      EXPECT_EQ(params.blended_prompts[i].from, c.blends[i].from);
      EXPECT_EQ(params.blended_prompts[i].to, c.blends[i].to);
      EXPECT_DOUBLE_EQ(params.blended_prompts[i].t, c.blends[i].t);
      EXPECT_DOUBLE_EQ(params.blended_prompts[i].weight, c.blends[i].weight);
    }
  }
}

TEST(FrameParams, ResolvingTakesTheFirstKeyframesPromptAndLeavesTheStillsOwn) {
  AnimationParams animation;
  animation.prompt_keyframes = {{0, "a red circle"}, {10, "a blue square"}};
  GenerationParams still = still_params();
  still.prompts.clear();
  still.seed.reset();
  const auto resolved = resolve_animation(still, animation, test::tiny_models().manifest);
  EXPECT_TRUE(resolved.prompts.empty());
  EXPECT_TRUE(resolved.seed.has_value());
  EXPECT_EQ(frame_params(resolved, animation, 0, nullptr).prompts, std::vector<std::string>{"a red circle"});
  animation.prompt_keyframes.clear();
  EXPECT_THROW(resolve_animation(still, animation, test::tiny_models().manifest), ParameterError);  // nothing to render
}

TEST(InterpolateOnSphere, TurnsEvenlyFromOneUnitVectorToTheOther) {
  const auto a = torch::tensor({3.0f, 0.0f, 0.0f});
  const auto b = torch::tensor({0.0f, 0.0f, 2.0f});
  EXPECT_TRUE(torch::allclose(interpolate_on_sphere(a, b, 0), torch::tensor({1.0f, 0.0f, 0.0f})));
  EXPECT_TRUE(torch::allclose(interpolate_on_sphere(a, b, 1), torch::tensor({0.0f, 0.0f, 1.0f}), 1e-6, 1e-6));
  // A third of the quarter turn: 30 degrees from a.
  const auto third = interpolate_on_sphere(a, b, 1.0 / 3);
  EXPECT_NEAR(third[0].item<double>(), std::cos(M_PI / 6), 1e-6);
  EXPECT_NEAR(third[2].item<double>(), std::sin(M_PI / 6), 1e-6);
  EXPECT_NEAR(third.norm().item<double>(), 1.0, 1e-6);
  // Parallel vectors: the unit vector itself, not a division by zero.
  EXPECT_TRUE(torch::allclose(interpolate_on_sphere(a, 2 * a, 0.5), torch::tensor({1.0f, 0.0f, 0.0f})));
}

TEST(Animate, LatentSmoothingKeepsFramesCloserToWhereTheyStarted) {
  auto& models = test::tiny_models();
  AnimationParams animation;
  // Frames that do not move, so every change between consecutive ones is the
  // refinement's (as docs/animate.md measures it); five, so one frame's luck
  // does not decide.
  animation.frames = 5;
  animation.steps_per_frame = 6;
  animation.frame_pull = 0;
  auto still = still_params();
  still.prompts = {"a red circle on a blue background"};
  still.steps = 4;
  // Mean absolute change from each frame to the next, in 8-bit levels, and the records.
  const auto run = [&](double smoothing, std::vector<nlohmann::json>& records) {
    animation.latent_smoothing = smoothing;
    std::vector<torch::Tensor> frames;
    AnimationCallbacks callbacks;
    callbacks.on_frame = [&](int, const RenderResult& result) {
      frames.push_back(image_to_tensor(tensor_to_image(result.picture)));
      records.push_back(result.record);
    };
    animate(models, still, animation, callbacks);
    double change = 0;
    for (size_t i = 1; i < frames.size(); ++i) change += (frames[i] - frames[i - 1]).abs().mean().item<double>() * 255;
    return change / static_cast<double>(frames.size() - 1);
  };
  std::vector<nlohmann::json> plain_records, smoothed_records;
  const double plain = run(0, plain_records);
  const double smoothed = run(0.6, smoothed_records);
  EXPECT_LT(smoothed, plain * 0.9);
  // The first frame is the still either way; later ones are scored as smoothed.
  EXPECT_EQ(smoothed_records[0]["similarity"], plain_records[0]["similarity"]);
  EXPECT_NE(smoothed_records[2]["similarity"], plain_records[2]["similarity"]);
  EXPECT_EQ(smoothed_records[2]["animation"]["latent_smoothing"], 0.6);
}

TEST(Animate, StopsWhenAskedAndAResumedRunEqualsAnUninterruptedOne) {
  auto& models = test::tiny_models();
  AnimationParams animation;
  animation.frames = 3;
  animation.steps_per_frame = 3;
  animation.motion.zoom = Schedule(1.1);
  animation.motion.angle = Schedule(5);
  auto still = still_params();
  still.prompts = {"a red circle on a blue background"};

  std::vector<RgbImage> whole;
  AnimationCallbacks callbacks;
  callbacks.on_frame = [&](int frame, const RenderResult& result) {
    EXPECT_EQ(frame, static_cast<int>(whole.size()));
    EXPECT_EQ(result.record.at("animation").at("frame"), frame);
    whole.push_back(tensor_to_image(result.picture));
  };
  const auto full = animate(models, still, animation, callbacks);
  EXPECT_FALSE(full.stopped);
  EXPECT_EQ(full.frames_done, 3);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_NE(whole[1].pixels, whole[2].pixels);

  // Stopped during frame 1: only frame 0 is finished.
  std::vector<RgbImage> part;
  AnimationCallbacks stopping;
  stopping.on_frame = [&](int, const RenderResult& result) { part.push_back(tensor_to_image(result.picture)); };
  stopping.on_step = [](const FrameProgress& at) { return !(at.frame == 1 && at.step.step == 2); };
  const auto stopped = animate(models, still, animation, stopping);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.frames_done, 1);
  ASSERT_EQ(part.size(), 1u);
  EXPECT_EQ(part[0].pixels, whole[0].pixels);

  // Going on from frame 1 with frame 0's picture gives the uninterrupted frames.
  AnimationCallbacks resuming;
  resuming.on_frame = [&](int, const RenderResult& result) { part.push_back(tensor_to_image(result.picture)); };
  const auto resumed = animate(models, still, animation, resuming, 1, part[0]);
  EXPECT_EQ(resumed.frames_done, 3);
  ASSERT_EQ(part.size(), 3u);
  EXPECT_EQ(part[1].pixels, whole[1].pixels);
  EXPECT_EQ(part[2].pixels, whole[2].pixels);
}

}  // namespace
}  // namespace vqclip
