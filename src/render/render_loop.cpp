#include "vqclip/render_loop.hpp"

#include <chrono>
#include <cmath>

#include "render/precision.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds since `start`, after the device finished its queued work.
double seconds_since(Clock::time_point start, const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
  return std::chrono::duration<double>(Clock::now() - start).count();
}

torch::Tensor channel_tensor(const std::array<float, 3>& values, const c10::Device& device) {
  return torch::tensor({values[0], values[1], values[2]}, torch::kFloat).view({1, 3, 1, 1}).to(device);
}

}  // namespace

LoopSettings LoopSettings::from(const GenerationParams& params, Precision precision) {
  LoopSettings settings;
  settings.steps = params.steps;
  settings.cutouts = params.cutouts;
  settings.optimiser = params.optimiser;
  settings.init_weight = params.init_weight;
  settings.change_prompt_every = params.change_prompt_every;
  settings.precision = precision;
  return settings;
}

RenderLoop::RenderLoop(const ClipModel& clip, const VqganModel& vqgan, LoopSettings settings, torch::Tensor z_init,
                       std::vector<TargetPhase> phases, at::Generator generator)
    : decoder_(vqgan.decoder),
      image_encoder_(clip.image_encoder),
      codebook_(vqgan.codebook),
      clip_resolution_(clip.spec.input_resolution),
      settings_(std::move(settings)),
      phases_(std::move(phases)),
      generator_(std::move(generator)) {
  if (phases_.empty()) throw InternalError("the render loop needs at least one prompt phase");
  const auto device = codebook_.device();
  z_init_ = z_init.detach().to(device, torch::kFloat).clone();
  z_ = z_init_.clone().requires_grad_(true);
  // Per-channel bounds of the codebook, the region the latent is kept in.
  z_min_ = std::get<0>(codebook_.min(0)).view({1, -1, 1, 1});
  z_max_ = std::get<0>(codebook_.max(0)).view({1, -1, 1, 1});
  clip_mean_ = channel_tensor(clip.spec.mean, device);
  clip_std_ = channel_tensor(clip.spec.std, device);
  optimiser_ = make_optimiser(settings_.optimiser.kind, {z_}, settings_.optimiser.lr);
}

RenderLoop::~RenderLoop() = default;

int RenderLoop::phase_at(int step) const {
  const int count = static_cast<int>(phases_.size());
  if (count == 1) return 0;
  const int every = settings_.change_prompt_every > 0 ? settings_.change_prompt_every
                                                      : std::max(1, (settings_.steps + count - 1) / count);
  return std::min(step / every, count - 1);
}

void RenderLoop::apply_learning_rate_schedule() {
  const auto& optimiser = settings_.optimiser;
  if (lr_dropped_ || optimiser.lr_drop_at <= 0.0) return;
  if (steps_done_ < static_cast<int>(std::lround(optimiser.lr_drop_at * settings_.steps))) return;
  for (auto& group : optimiser_->param_groups()) {
    group.options().set_lr(optimiser.lr * optimiser.lr_drop_factor);
  }
  lr_dropped_ = true;
}

StepResult RenderLoop::step() {
  const auto device = z_.device();
  StepResult result;
  apply_learning_rate_schedule();
  optimiser_->zero_grad();

  auto start = Clock::now();
  const auto z_q = quantize_straight_through(z_, codebook_);
  torch::Tensor decoded;
  {
    AutocastScope autocast(settings_.precision, device);
    decoded = decoder_.forward({z_q}).toTensor();
  }
  const auto picture = clamp_with_grad((decoded.to(torch::kFloat) + 1) / 2, 0.0, 1.0);
  if (picture_gradient_hook_) picture.register_hook([this](const torch::Tensor&) { picture_gradient_hook_(); });
  result.timings.decode = seconds_since(start, device);

  start = Clock::now();
  const auto views = (make_cutouts(picture, clip_resolution_, settings_.cutouts, generator_) - clip_mean_) / clip_std_;
  result.timings.cutouts = seconds_since(start, device);

  start = Clock::now();
  torch::Tensor embeddings;
  {
    // On the CPU, bf16 made the CLIP ViT 5.6x slower (docs/architecture.md,
    // "Platform facts"): fp32 there.
    AutocastScope autocast(device.is_cuda() ? settings_.precision : Precision::kFp32, device);
    embeddings = image_encoder_.forward({views}).toTensor();
  }
  embeddings = embeddings.to(torch::kFloat);
  auto loss = torch::zeros({}, embeddings.options());
  for (const auto& target : phases_[phase_at(steps_done_)]) {
    loss = loss + prompt_loss(embeddings, target.embedding, target.weight, target.stop);
  }
  if (settings_.init_weight > 0) {
    loss = loss + settings_.init_weight * torch::mse_loss(z_, z_init_) / 2;
  }
  result.timings.clip_forward = seconds_since(start, device);

  result.loss = loss.item<double>();
  result.finite = std::isfinite(result.loss);
  if (!result.finite) return result;

  start = Clock::now();
  loss.backward();
  result.timings.backward = seconds_since(start, device);

  start = Clock::now();
  optimiser_->step();
  {
    torch::NoGradGuard no_grad;
    z_.copy_(torch::max(torch::min(z_, z_max_), z_min_));
  }
  result.timings.optimiser = seconds_since(start, device);
  ++steps_done_;
  return result;
}

torch::Tensor RenderLoop::render() {
  torch::NoGradGuard no_grad;
  const auto z_q = quantize_straight_through(z_, codebook_);
  return ((decoder_.forward({z_q}).toTensor().to(torch::kFloat) + 1) / 2).clamp(0, 1);
}

}  // namespace vqclip
