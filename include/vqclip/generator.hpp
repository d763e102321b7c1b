#pragma once
// The VQGAN+CLIP optimisation loop (DESIGN section 4): a latent z is quantised,
// decoded, cut into views, embedded by CLIP and pulled towards the targets.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "vqclip/bundle.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {

// One prompt, already embedded: text, image or noise.
struct Target {
  std::string label;
  torch::Tensor embedding;  // [D] float32 on the bundle's device
  double weight = 1.0;
  double stop = -std::numeric_limits<double>::infinity();
};
using TargetPhase = std::vector<Target>;

struct LoopSettings {
  int steps = 300;
  CutoutSettings cutouts;
  std::string optimiser = "adam";
  double lr = 0.1;
  double lr_drop_at = 0.0;      // fraction of the run; 0 = never
  double lr_drop_factor = 0.1;
  double init_weight = 0.0;
  int change_prompt_every = 0;  // 0 = steps split evenly over the phases
  std::string precision = "fp32";
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

class Generator {
 public:
  // z_init: [1, C, h, w] on the bundle's device. phases: at least one, each non-empty.
  Generator(const Bundle& bundle, LoopSettings settings, torch::Tensor z_init, std::vector<TargetPhase> phases);
  ~Generator();

  StepResult step();
  int steps_done() const { return steps_done_; }
  // Index of the story phase in effect at 0-based step `step`.
  int phase_at(int step) const;
  // The current picture: [1, 3, H, W] in [0, 1], computed without gradients.
  torch::Tensor render();
  const std::vector<TargetPhase>& phases() const { return phases_; }
  const torch::Tensor& latent() const { return z_; }

 private:
  void apply_learning_rate_schedule();

  torch::jit::Module decoder_;
  torch::jit::Module image_encoder_;
  torch::Tensor codebook_;
  torch::Tensor z_;
  torch::Tensor z_init_;
  torch::Tensor z_min_;
  torch::Tensor z_max_;
  torch::Tensor clip_mean_;
  torch::Tensor clip_std_;
  int clip_resolution_;
  LoopSettings settings_;
  std::vector<TargetPhase> phases_;
  std::unique_ptr<torch::optim::Optimizer> optimiser_;
  int steps_done_ = 0;
  bool lr_dropped_ = false;
};

// Optimiser over `parameters` by name: adam, adamw, adagrad, rmsprop, sgd.
std::unique_ptr<torch::optim::Optimizer> make_optimiser(const std::string& name, std::vector<torch::Tensor> parameters,
                                                       double lr);

}  // namespace vqclip
