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

// A CLIP that judges the picture: its share of the loss, and the prompts as it
// embeds them (every perceptor of a loop has the same phases, in its own space).
struct Perceptor {
  const ClipModel* clip = nullptr;
  double weight = 1.0;
  std::vector<TargetPhase> phases;
};

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
  PerceptorSettings perceptors;  // as for the drawer: the loop is given its perceptors, the memory estimate makes its own

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
  // `drawer`: what is optimised, on the models' device. perceptors: at least
  // one, each with the same number of phases (at least one, each non-empty);
  // each cuts its own views, in order. The cutouts draw from `generator`,
  // which must be on that device.
  RenderLoop(std::vector<Perceptor> perceptors, std::unique_ptr<Drawer> drawer, LoopSettings settings,
             at::Generator generator);
  // One CLIP of weight 1.
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
  Drawer& drawer() { return *drawer_; }
  // Called in each step's backward pass when the gradient reaches the decoded
  // picture: between CLIP's side and the decoder's (the memory estimate
  // measures each side's peak). Empty: none.
  void set_picture_gradient_hook(std::function<void()> hook) { picture_gradient_hook_ = std::move(hook); }

 private:
  void apply_learning_rate_schedule();
  // What the drawer is told before drawing 0-based step `step`: 0 at the first, 1 at the last.
  double progress_at(int step) const;
  // A perceptor as the step uses it.
  struct Judge {
    torch::jit::Module image_encoder;
    torch::Tensor mean;  // [1, 3, 1, 1]
    torch::Tensor std;
    int resolution = 0;
    double weight = 1.0;
    std::vector<TargetPhase> phases;
  };
  // The judge's normalised views of `picture`, drawn from the generator.
  torch::Tensor cut_views(const Judge& judge, const torch::Tensor& picture);
  // The judge's CLIP embeddings of normalised views, float32.
  torch::Tensor embed_views(Judge& judge, const torch::Tensor& views);
  // The pulls on the drawer's parameters themselves (init_weight, zero_weight).
  torch::Tensor regulariser_loss() const;
  // Every prompt of the current phase against the judge's `embeddings`, times `share`.
  torch::Tensor prompts_loss(const Judge& judge, const torch::Tensor& embeddings, double share) const;
  // One CLIP, every view in one batch: a single graph from the drawer to the loss.
  void whole_step(const torch::Tensor& picture, StepResult& result);
  // Several CLIPs or micro-batches: each judge's views are cut from the
  // picture, each micro-batch's loss is backpropagated into a detached copy of
  // its views (freeing its CLIP activations), and the summed gradients then go
  // through the cutouts and the drawer once.
  void split_step(const torch::Tensor& picture, StepResult& result);

  std::vector<Judge> judges_;
  std::unique_ptr<Drawer> drawer_;
  std::vector<torch::Tensor> parameters_;  // the drawer's
  std::vector<torch::Tensor> start_;       // their values at the start, for init_weight
  LoopSettings settings_;
  int phase_count_ = 1;
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
