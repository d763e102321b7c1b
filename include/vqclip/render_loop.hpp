#pragma once
// The optimisation loop (docs/architecture.md, "The loop"): a drawer (the
// VQGAN latent by default; drawer.hpp) draws the picture, which is cut into
// views, embedded by CLIP and pulled towards the targets. render()
// (render.hpp) drives it; benchmarks and programs that want the steps
// themselves use it directly.
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "vqclip/context_params.hpp"
#include "vqclip/drawer.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/models.hpp"
#include "vqclip/render_ops.hpp"
#include "vqclip/render_state.hpp"

namespace vqclip {

// One prompt, already embedded: text, image or noise.
struct Target {
  std::string label;
  torch::Tensor embedding;  // [D] float32 on the models' device
  double weight = 1.0;
  double stop = -std::numeric_limits<double>::infinity();
};
using TargetPhase = std::vector<Target>;

struct LoopSettings {
  int steps = 300;
  CutoutSettings cutouts;
  OptimiserSettings optimiser;
  double init_weight = 0.0;  // constant pull of the drawer's parameters towards their start
  double zero_weight = 0.0;  // pull of the parameters towards zero, weight / (2 i + 1) at step i
  int change_prompt_every = 0;  // 0 = steps split evenly over the phases
  Precision precision = Precision::kFp32;
  DrawerSettings drawer;  // the loop steps a drawer made outside; the memory estimate makes its own
  PictureLosses losses;

  static LoopSettings from(const GenerationParams& params, Precision precision);
};

// Wall time of each part of one step, in seconds.
struct StepTimings {
  double decode = 0;
  double cutouts = 0;
  double clip_forward = 0;
  double backward = 0;
  double optimiser = 0;
};

struct StepResult {
  double loss = 0;
  bool finite = true;  // false: the step was not applied
  StepTimings timings;
};

class RenderLoop {
 public:
  // `drawer`: what is optimised, on the models' device. phases: at least one,
  // each non-empty. The cutouts draw from `generator`, which must be on that device.
  RenderLoop(const ClipModel& clip, std::unique_ptr<Drawer> drawer, LoopSettings settings,
             std::vector<TargetPhase> phases, at::Generator generator);
  // The VQGAN drawer over z_init [1, C, h, w].
  RenderLoop(const ClipModel& clip, const VqganModel& vqgan, LoopSettings settings, const torch::Tensor& z_init,
             std::vector<TargetPhase> phases, at::Generator generator);
  ~RenderLoop();

  StepResult step();
  int steps_done() const { return steps_done_; }
  // Everything the next steps depend on, and taking it back (a loop built with
  // the same settings, models and drawer). restore() throws InputError when
  // the state does not fit this loop.
  LoopState state();
  void restore(const LoopState& state);
  // Index of the story phase in effect at 0-based step `step`.
  int phase_at(int step) const;
  // The current picture: [1, 3, H, W] in [0, 1], computed without gradients.
  torch::Tensor render();
  const std::vector<TargetPhase>& phases() const { return phases_; }
  Drawer& drawer() { return *drawer_; }
  // Called in each step's backward pass when the gradient reaches the decoded
  // picture: between CLIP's side and the decoder's (the memory estimate
  // measures each side's peak). Empty: none.
  void set_picture_gradient_hook(std::function<void()> hook) { picture_gradient_hook_ = std::move(hook); }

 private:
  void apply_learning_rate_schedule();
  // What the drawer is told before drawing 0-based step `step`: 0 at the first, 1 at the last.
  double progress_at(int step) const;
  // CLIP embeddings of normalised views, float32.
  torch::Tensor embed_views(const torch::Tensor& views);
  // The pulls on the drawer's parameters themselves (init_weight, zero_weight).
  torch::Tensor regulariser_loss() const;
  // Every prompt of the current phase against `embeddings`, times `share`.
  torch::Tensor prompts_loss(const torch::Tensor& embeddings, double share) const;

  torch::jit::Module image_encoder_;
  std::unique_ptr<Drawer> drawer_;
  std::vector<torch::Tensor> parameters_;  // the drawer's
  std::vector<torch::Tensor> start_;       // their values at the start, for init_weight
  torch::Tensor clip_mean_;
  torch::Tensor clip_std_;
  int clip_resolution_;
  LoopSettings settings_;
  std::vector<TargetPhase> phases_;
  at::Generator generator_;
  std::unique_ptr<torch::optim::Optimizer> optimiser_;
  int steps_done_ = 0;
  bool lr_dropped_ = false;
  double last_loss_ = 0;
  std::function<void()> picture_gradient_hook_;
};

// Optimiser over `parameters`: Adam, AdamW, Adagrad, RMSprop, or SGD with momentum 0.9.
std::unique_ptr<torch::optim::Optimizer> make_optimiser(Optimiser kind, std::vector<torch::Tensor> parameters,
                                                       double lr);

}  // namespace vqclip
