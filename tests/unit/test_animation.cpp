// Animations in the library: the schedule syntax (a table of good and bad
// forms, each error naming the keyframe), the frame transform, each frame's
// parameters, and animate() on the tiny bundle (stopping, and a resumed run
// that equals an uninterrupted one).
#include <gtest/gtest.h>

#include "tiny_models.hpp"
#include "vqclip/animation.hpp"
#include "vqclip/errors.hpp"

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
