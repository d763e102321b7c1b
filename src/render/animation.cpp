// Frames of an animation, each from the one before (animation.hpp).
#include <c10/util/MathConstants.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "vqclip/animation.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip {
namespace {

std::vector<std::string> split_phases(const std::string& value) {
  std::vector<std::string> phases;
  size_t start = 0;
  for (size_t caret = value.find('^'); caret != std::string::npos; caret = value.find('^', start)) {
    phases.push_back(value.substr(start, caret - start));
    start = caret + 1;
  }
  phases.push_back(value.substr(start));
  return phases;
}

// Of each -p value, the story phase frame `frame` falls in: the phases share
// the frames evenly, and a value with fewer phases keeps its last one (as
// simultaneous stories do in a still).
std::vector<std::string> frame_prompts(const std::vector<std::string>& prompts, int frame, int frames) {
  std::vector<std::vector<std::string>> phases;
  size_t most = 1;
  for (const auto& value : prompts) {
    phases.push_back(split_phases(value));
    most = std::max(most, phases.back().size());
  }
  const size_t phase = static_cast<size_t>(int64_t{frame} * static_cast<int64_t>(most) / frames);
  std::vector<std::string> chosen;
  for (const auto& value : phases) chosen.push_back(value[std::min(phase, value.size() - 1)]);
  return chosen;
}

// Adds frame `frame`'s keyframed prompt: the text of a keyframe on or before
// the first or after the last, else a blend between the two around it.
void add_keyframe_prompt(GenerationParams& params, const std::vector<PromptKeyframe>& keyframes, int frame) {
  if (keyframes.empty()) return;
  const auto next = std::find_if(keyframes.begin(), keyframes.end(),
                                 [frame](const PromptKeyframe& keyframe) { return keyframe.frame > frame; });
  if (next == keyframes.begin()) {
    params.prompts.push_back(next->text);
    return;
  }
  const auto previous = std::prev(next);
  if (next == keyframes.end() || previous->frame == frame) {
    params.prompts.push_back(previous->text);
    return;
  }
  const auto from = parse_prompt(previous->text, "prompt_keyframes").front().front();
  const auto to = parse_prompt(next->text, "prompt_keyframes").front().front();
  const double t = static_cast<double>(frame - previous->frame) / (next->frame - previous->frame);
  params.blended_prompts.push_back({from.text, to.text, t, from.weight + t * (to.weight - from.weight)});
}

// A frame's drawer over its parameters mixed: `share` of those it started
// from (made from its init image, as render() starts) and the rest of those it
// was refined to.
std::unique_ptr<Drawer> smoothed_drawer(Models& models, const GenerationParams& resolved,
                                        const std::vector<torch::Tensor>& refined, double share) {
  auto generator = make_random_generator(*resolved.seed, models.device);
  const auto start_picture = image_to_tensor(resolved.init_image->read()).to(models.device);
  const auto started = make_drawer(models, resolved.drawer, *resolved.width, *resolved.height,
                                   DrawerStart{start_picture, {}}, generator);
  std::vector<torch::Tensor> mixed;
  {
    torch::NoGradGuard no_grad;
    const auto start = started->parameters();
    for (size_t i = 0; i < refined.size(); ++i) {
      mixed.push_back(start[i].detach() * share + refined[i].to(models.device) * (1 - share));
    }
  }
  auto drawer = make_drawer(models, resolved.drawer, *resolved.width, *resolved.height, DrawerStart{{}, mixed},
                            generator);
  drawer->set_progress(1.0);  // as the frame's last step drew
  return drawer;
}

}  // namespace

GenerationParams resolve_animation(const GenerationParams& still, const AnimationParams& animation,
                                   const Manifest& manifest) {
  validate(animation);
  auto resolved = resolve(frame_params(still, animation, 0, nullptr), manifest);
  resolved.prompts = still.prompts;  // the keyframes' prompts are added frame by frame
  return resolved;
}

torch::Tensor move_picture(const torch::Tensor& picture, double zoom, double angle_degrees, double dx, double dy) {
  const double width = static_cast<double>(picture.size(3));
  const double height = static_cast<double>(picture.size(2));
  // The content moves by u -> zoom * R u + d in pixels about the centre (y down, so a
  // counter-clockwise turn on screen is [[c, s], [-s, c]]). Each output pixel samples
  // the input at the inverse, R^-1 (u - d) / zoom, written in grid_sample's [-1, 1] units.
  const double c = std::cos(angle_degrees * c10::pi<double> / 180.0);
  const double s = std::sin(angle_degrees * c10::pi<double> / 180.0);
  const double sx = width / 2;
  const double sy = height / 2;
  // R^-1 = [[c, -s], [s, c]], scaled into normalised units: M = S^-1 R^-1 S / zoom.
  const double m00 = c / zoom, m01 = -s * sy / sx / zoom;
  const double m10 = s * sx / sy / zoom, m11 = c / zoom;
  const double t0 = -(c * dx - s * dy) / zoom / sx;
  const double t1 = -(s * dx + c * dy) / zoom / sy;
  const auto theta = torch::tensor({m00, m01, t0, m10, m11, t1}, torch::kFloat64)
                         .to(picture.options())
                         .view({1, 2, 3})
                         .expand({picture.size(0), 2, 3});
  const auto grid = torch::nn::functional::affine_grid(theta, picture.sizes(), /*align_corners=*/false);
  namespace F = torch::nn::functional;
  return F::grid_sample(picture, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kReflection).align_corners(false))
      .clamp(0, 1);
}

GenerationParams frame_params(const GenerationParams& still, const AnimationParams& animation, int frame,
                              const RgbImage* previous) {
  if (frame == 0) {
    auto first = still;
    first.prompts = frame_prompts(still.prompts, 0, animation.frames);
    add_keyframe_prompt(first, animation.prompt_keyframes, 0);
    return first;
  }
  if (!previous) throw InternalError("frame " + std::to_string(frame) + " needs the previous frame's picture");
  auto params = still;
  params.prompts = frame_prompts(still.prompts, frame, animation.frames);
  add_keyframe_prompt(params, animation.prompt_keyframes, frame);
  params.change_prompt_every = 0;
  params.steps = animation.steps_per_frame;
  params.seed = *still.seed + static_cast<uint64_t>(frame);
  params.hires = {};
  params.init_noise = InitNoise::kNone;
  params.init_weight = animation.frame_pull;
  const auto& motion = animation.motion;
  const auto moved = move_picture(image_to_tensor(*previous), motion.zoom.at(frame), motion.angle.at(frame),
                                  motion.translate_x.at(frame), motion.translate_y.at(frame));
  params.init_image = ImageSource::in_memory(tensor_to_image(moved), "<frame " + std::to_string(frame - 1) + " moved>");
  return params;
}

AnimationResult animate(Models& models, const GenerationParams& still, const AnimationParams& animation,
                        const AnimationCallbacks& callbacks, int first_frame, std::optional<RgbImage> previous) {
  validate(animation);
  if (!still.seed || !still.width || !still.height) throw InternalError("animate() needs resolved parameters");
  const auto still_json = to_json(still);
  AnimationResult outcome;
  outcome.frames_done = first_frame;
  for (int frame = first_frame; frame < animation.frames; ++frame) {
    const auto params = frame_params(still, animation, frame, previous ? &*previous : nullptr);
    RenderCallbacks render_callbacks;
    bool stop = false;
    render_callbacks.on_step = [&](const StepInfo& step) {
      if (callbacks.on_step && !callbacks.on_step(FrameProgress{frame, animation.frames, step})) stop = true;
      return !stop;
    };
    const bool smooths = frame > 0 && animation.latent_smoothing > 0;
    std::vector<torch::Tensor> refined;  // the drawer's parameters at the frame's end
    if (smooths) {
      render_callbacks.wants_state = [](int, int) { return false; };  // the final state only
      render_callbacks.on_state = [&refined](const RenderState& state) { refined = state.loop.parameters; };
    }
    auto result = render(models, params, render_callbacks);
    if (stop || result.status == RenderStatus::kStopped) {
      outcome.stopped = true;
      return outcome;
    }
    if (result.status == RenderStatus::kNonFinite) {
      throw InternalError("frame " + std::to_string(frame) + ": the loss became non-finite at step " +
                          std::to_string(result.steps_done + 1));
    }
    if (smooths) {
      const auto drawer = smoothed_drawer(models, result.params, refined, animation.latent_smoothing);
      result.picture = drawer->picture().to(torch::kCPU);
      result.svg = drawer->svg();
      score_picture_into_record(models, result.params, result.picture, result.record);
    }
    result.record["animation"] = to_json(animation);
    result.record["animation"]["frame"] = frame;
    result.record["animation"]["still"] = still_json;  // what a resumed run must match
    previous = tensor_to_image(result.picture);
    if (callbacks.on_frame) callbacks.on_frame(frame, result);
    outcome.frames_done = frame + 1;
  }
  return outcome;
}

}  // namespace vqclip
