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
  settings.zero_weight = params.zero_weight;
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

torch::Tensor RenderLoop::embed_views(const torch::Tensor& views) {
  // On the CPU, bf16 made the CLIP ViT 5.6x slower (docs/architecture.md,
  // "Platform facts"): fp32 there.
  AutocastScope autocast(views.is_cuda() ? settings_.precision : Precision::kFp32, views.device());
  return image_encoder_.forward({views}).toTensor().to(torch::kFloat);
}

torch::Tensor RenderLoop::prompts_loss(const torch::Tensor& embeddings, double share) const {
  auto loss = torch::zeros({}, embeddings.options());
  for (const auto& target : phases_[phase_at(steps_done_)]) {
    const auto one = prompt_loss(embeddings, target.embedding, target.weight, target.stop);
    loss = loss + (share == 1.0 ? one : one * share);
  }
  return loss;
}

torch::Tensor RenderLoop::regulariser_loss() const {
  auto loss = torch::zeros({}, z_.options());
  // Katherine Crowson's notebook: a constant pull towards the initial latent.
  if (settings_.init_weight > 0) loss = loss + settings_.init_weight * torch::mse_loss(z_, z_init_) / 2;
  // nerdyrodent's generate.py (its --init_weight): towards zero, fading as 1 / (2 i + 1).
  if (settings_.zero_weight > 0) {
    loss = loss + settings_.zero_weight / (2.0 * steps_done_ + 1) * z_.square().mean() / 2;
  }
  return loss;
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
  const int cutn = settings_.cutouts.cutn;
  const int batch = settings_.cutouts.batch;
  const bool micro_batched = batch > 0 && batch < cutn;
  if (picture_gradient_hook_) picture.register_hook([this](const torch::Tensor&) { picture_gradient_hook_(); });
  result.timings.decode = seconds_since(start, device);

  start = Clock::now();
  const auto views = (make_cutouts(picture, clip_resolution_, settings_.cutouts, generator_) - clip_mean_) / clip_std_;
  result.timings.cutouts = seconds_since(start, device);

  const bool regularised = settings_.init_weight > 0 || settings_.zero_weight > 0;
  if (!micro_batched) {
    start = Clock::now();
    auto loss = prompts_loss(embed_views(views), 1.0);
    if (regularised) loss = loss + regulariser_loss();
    result.timings.clip_forward = seconds_since(start, device);
    result.loss = loss.item<double>();
    result.finite = std::isfinite(result.loss);
    if (!result.finite) return result;
    start = Clock::now();
    loss.backward();
    result.timings.backward = seconds_since(start, device);
  } else {
    // Micro-batches backpropagate into a detached copy of the views; their
    // summed gradient then goes through the cutouts and the decoder once. Each
    // loss is its share of the mean over all views, so the gradient is the
    // full batch's up to float summation order.
    const auto views_copy = views.detach().requires_grad_(true);
    const auto latent_loss = regularised ? regulariser_loss() : torch::Tensor();
    result.loss = regularised ? latent_loss.item<double>() : 0.0;
    for (int first = 0; first < cutn; first += batch) {
      const int count = std::min(batch, cutn - first);
      start = Clock::now();
      const auto loss =
          prompts_loss(embed_views(views_copy.narrow(0, first, count)), static_cast<double>(count) / cutn);
      result.timings.clip_forward += seconds_since(start, device);
      result.loss += loss.item<double>();
      result.finite = std::isfinite(result.loss);
      if (!result.finite) return result;  // the next step's zero_grad() drops what was summed
      start = Clock::now();
      loss.backward();
      result.timings.backward += seconds_since(start, device);
    }
    start = Clock::now();
    views.backward(views_copy.grad());
    if (regularised) latent_loss.backward();
    result.timings.backward += seconds_since(start, device);
  }

  start = Clock::now();
  optimiser_->step();
  {
    torch::NoGradGuard no_grad;
    z_.copy_(torch::max(torch::min(z_, z_max_), z_min_));
  }
  result.timings.optimiser = seconds_since(start, device);
  ++steps_done_;
  last_loss_ = result.loss;
  return result;
}

LoopState RenderLoop::state() {
  LoopState state;
  state.steps_done = steps_done_;
  state.lr_dropped = lr_dropped_;
  state.last_loss = last_loss_;
  state.latent = z_.detach().to(torch::kCPU).clone();
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state.generator_state = generator_.get_state().to(torch::kCPU);
  }
  torch::serialize::OutputArchive archive;
  optimiser_->save(archive);
  archive.save_to([&state](const void* data, size_t size) {
    state.optimiser_state.append(static_cast<const char*>(data), size);
    return size;
  });
  return state;
}

void RenderLoop::restore(const LoopState& state) {
  if (!state.latent.defined() || state.latent.sizes() != z_.sizes()) {
    throw InputError("the state's latent does not fit this render's size");
  }
  if (state.steps_done < 0 || state.steps_done > settings_.steps) {
    throw InputError("the state is at step " + std::to_string(state.steps_done) + " of a render of " +
                     std::to_string(settings_.steps) + " steps");
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(state.optimiser_state.data(), state.optimiser_state.size());
    optimiser_->load(archive);
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state.generator_state);
  } catch (const c10::Error& e) {
    throw InputError(std::string("the state's optimiser or generator cannot be restored: ") + e.what_without_backtrace());
  }
  {
    torch::NoGradGuard no_grad;
    z_.copy_(state.latent.to(z_.device()));
  }
  steps_done_ = state.steps_done;
  lr_dropped_ = state.lr_dropped;
  last_loss_ = state.last_loss;
  // The optimiser's archive holds its learning rate; set it as the schedule
  // would have, whatever the archive's version keeps.
  if (lr_dropped_) {
    for (auto& group : optimiser_->param_groups()) {
      group.options().set_lr(settings_.optimiser.lr * settings_.optimiser.lr_drop_factor);
    }
  }
}

torch::Tensor RenderLoop::render() {
  torch::NoGradGuard no_grad;
  const auto z_q = quantize_straight_through(z_, codebook_);
  return ((decoder_.forward({z_q}).toTensor().to(torch::kFloat) + 1) / 2).clamp(0, 1);
}

}  // namespace vqclip
