#pragma once
// Animations: a first frame rendered as a still, then each next frame started
// from the previous picture moved by the frame's transform (zoom, rotation,
// translation about the centre; uncovered edges reflected), encoded back into
// the drawer and refined a few steps. Transforms are constants or keyframe
// schedules; a story prompt's `^` phases share the frames evenly, and keyframed
// prompts move the target between texts' embeddings frame by frame.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "vqclip/generation_params.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render.hpp"

namespace vqclip {

// A number over the frames: "1.02" (constant) or keyframes "0:1.0, 60:1.04"
// (frame:value, frames from 0 and increasing), linear between keyframes and
// held before the first and after the last.
class Schedule {
 public:
  Schedule() : Schedule(0.0) {}
  explicit Schedule(double constant);
  // Throws ParameterError naming `field` and the keyframe at fault.
  static Schedule parse(std::string_view text, const std::string& field);

  double at(int frame) const;
  bool is_constant() const { return keys_.size() == 1; }
  const std::vector<std::pair<int, double>>& keyframes() const { return keys_; }
  // The parse()-able form: "1.02" or "0:1, 60:1.04".
  std::string to_string() const;

 private:
  std::vector<std::pair<int, double>> keys_;  // frame, value; frames increasing
};

// How each frame moves the previous picture (values of frame k apply to the
// move from frame k-1 to k).
struct FrameMotion {
  Schedule zoom{1.0};          // > 1 moves in: 1.02 enlarges the picture 2% a frame
  Schedule angle{0.0};         // degrees a frame, counter-clockwise
  Schedule translate_x{0.0};   // pixels a frame, to the right
  Schedule translate_y{0.0};   // pixels a frame, downwards
};

// A prompt from a frame on. Between two keyframes the target moves from one
// text's embedding to the next along the sphere (a BlendedPrompt at the
// frame's place between them, the weights interpolated linearly); before the
// first keyframe and from the last on, the nearest one's text holds.
struct PromptKeyframe {
  int frame = 0;
  std::string text;  // one prompt: text[:weight]
};

// "FRAME:TEXT", e.g. "30:a blue square:2". Throws ParameterError (field
// prompt_keyframes) naming the value.
PromptKeyframe parse_prompt_keyframe(std::string_view value);

struct AnimationParams {
  int frames = 30;             // the first included
  int steps_per_frame = 20;    // refinement of each frame after the first (which gets the still's steps)
  double fps = 12;
  FrameMotion motion;
  // Each frame after the first is pulled towards the moved previous picture
  // with this weight (the still's init_weight): against flicker, at some cost
  // in how far a frame follows the prompt.
  double frame_pull = 1.0;
  // The picture kept of each frame after the first is drawn from a mix of the
  // drawer's parameters: this share of those the frame started from (the
  // previous frame's, moved) and the rest of those it was refined to. A moving
  // average along the motion: 0 keeps the refined frame, towards 1 the
  // frames change ever less. 0.25 took a quarter off the change between
  // frames for no loss of CLIP similarity beyond the measurement's spread
  // (docs/animate.md, "Flicker").
  double latent_smoothing = 0.25;
  std::vector<PromptKeyframe> prompt_keyframes;  // frames increasing
};

// Throws ParameterError naming the field (frames, steps_per_frame, fps, zoom,
// angle, translate_x, translate_y, frame_pull, latent_smoothing, prompt_keyframes).
void validate(const AnimationParams& params);
nlohmann::json to_json(const AnimationParams& params);

// The first field of `now` (a to_json() form) that `earlier` does not hold
// alike, or nothing; fps is not compared (frames stay valid at another rate),
// and a field `earlier` lacks (made before it existed) counts as what frames
// were made with then (no smoothing, no keyframes).
std::optional<std::string> first_animation_difference(const nlohmann::json& earlier, const nlohmann::json& now);

// `picture` ([1, 3, H, W]) moved about its centre: zoomed by `zoom`, rotated
// `angle_degrees` counter-clockwise, shifted by (dx, dy) pixels; what comes
// into view from outside is the picture reflected at its edges.
torch::Tensor move_picture(const torch::Tensor& picture, double zoom, double angle_degrees, double dx, double dy);

// The animation's generation resolved (seed, size, drawer): validated as its
// first frame, which adds the first keyframe's prompt; `still` may leave the
// prompts to the keyframes. Throws ParameterError naming the field.
GenerationParams resolve_animation(const GenerationParams& still, const AnimationParams& animation,
                                   const Manifest& manifest);

// The parameters that render frame `frame` of an animation of `still`
// (resolved, seed set): frame 0 is the still itself; a later frame starts
// from `previous` (the previous frame's picture as saved) moved by the frame's
// transform, with steps_per_frame steps, seed + frame, frame_pull as its
// init_weight and, of a story prompt, the phase the frame falls in. Every
// frame adds its keyframed prompt (a text, or a blend between two).
GenerationParams frame_params(const GenerationParams& still, const AnimationParams& animation, int frame,
                              const RgbImage* previous);

struct FrameProgress {
  int frame = 0;               // 0-based
  int frames = 0;
  const StepInfo& step;
};

struct AnimationCallbacks {
  // After every step of every frame; false stops the animation there (the
  // frame in progress is dropped).
  std::function<bool(const FrameProgress&)> on_step;
  // After each finished frame, with its result (the record carries an
  // "animation" object: the settings, the frame, and the first frame's
  // generation as "still", which a resumed run must match).
  std::function<void(int frame, const RenderResult&)> on_frame;
};

struct AnimationResult {
  int frames_done = 0;         // frames finished by this call and before it
  bool stopped = false;        // on_step asked to stop
};

// Renders frames `first_frame` .. animation.frames - 1 of `still` (resolved),
// each from the one before; `previous` is frame first_frame - 1's picture as
// saved (needed when first_frame > 0), so a resumed animation's frames equal
// an uninterrupted one's. Throws as render() does; a non-finite loss is
// InternalError naming the frame.
AnimationResult animate(Models& models, const GenerationParams& still, const AnimationParams& animation,
                        const AnimationCallbacks& callbacks, int first_frame = 0,
                        std::optional<RgbImage> previous = std::nullopt);

}  // namespace vqclip
