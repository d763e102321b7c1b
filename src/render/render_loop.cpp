#include "vqclip/render_loop.hpp"

#include <chrono>
#include <cmath>

#include "config/elapsed.hpp"
#include "render/precision.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds since `start`, after the device finished its queued work.
double synchronized_seconds_since(Clock::time_point start, const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
  return seconds_since(start);
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
  settings.drawer = params.drawer;
  settings.losses = params.losses;
  settings.perceptors = params.perceptors;
  return settings;
}

RenderLoop::RenderLoop(std::vector<Perceptor> perceptors, std::unique_ptr<Drawer> drawer, LoopSettings settings,
                       at::Generator generator)
    : drawer_(std::move(drawer)), settings_(std::move(settings)), generator_(std::move(generator)) {
  if (perceptors.empty()) throw InternalError("the render loop needs at least one CLIP");
  if (!drawer_) throw InternalError("the render loop needs a drawer");
  phase_count_ = static_cast<int>(perceptors.front().phases.size());
  if (phase_count_ == 0) throw InternalError("the render loop needs at least one prompt phase");
  for (auto& perceptor : perceptors) {
    if (!perceptor.clip) throw InternalError("a perceptor of the render loop has no CLIP");
    if (static_cast<int>(perceptor.phases.size()) != phase_count_) {
      throw InternalError("the render loop's perceptors have different numbers of prompt phases");
    }
    const auto& clip = *perceptor.clip;
    judges_.push_back(Judge{clip.image_encoder, channel_tensor(clip.spec.mean, clip.device),
                            channel_tensor(clip.spec.std, clip.device), clip.spec.input_resolution, perceptor.weight,
                            std::move(perceptor.phases)});
  }
  parameters_ = drawer_->parameters();
  for (const auto& parameter : parameters_) start_.push_back(parameter.detach().clone());
  optimiser_ = make_optimiser(settings_.optimiser.kind, parameters_, settings_.optimiser.lr);
}

RenderLoop::RenderLoop(const ClipModel& clip, std::unique_ptr<Drawer> drawer, LoopSettings settings,
                       std::vector<TargetPhase> phases, at::Generator generator)
    : RenderLoop({Perceptor{&clip, 1.0, std::move(phases)}}, std::move(drawer), std::move(settings),
                 std::move(generator)) {}

RenderLoop::RenderLoop(const ClipModel& clip, const VqganModel& vqgan, LoopSettings settings,
                       const torch::Tensor& z_init, std::vector<TargetPhase> phases, at::Generator generator)
    : RenderLoop(clip, make_vqgan_drawer(vqgan, z_init), std::move(settings), std::move(phases),
                 std::move(generator)) {}

RenderLoop::~RenderLoop() = default;

int RenderLoop::phase_at(int step) const {
  const int count = phase_count_;
  if (count == 1) return 0;
  const int every = settings_.change_prompt_every > 0 ? settings_.change_prompt_every
                                                      : std::max(1, (settings_.steps + count - 1) / count);
  return std::min(step / every, count - 1);
}

double RenderLoop::progress_at(int step) const {
  return settings_.steps > 1 ? static_cast<double>(step) / (settings_.steps - 1) : 1.0;
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

torch::Tensor RenderLoop::cut_views(const Judge& judge, const torch::Tensor& picture) {
  return (make_cutouts(picture, judge.resolution, settings_.cutouts, generator_) - judge.mean) / judge.std;
}

torch::Tensor RenderLoop::embed_views(Judge& judge, const torch::Tensor& views) {
  AutocastScope autocast(settings_.precision, views.device());
  return judge.image_encoder.forward({views}).toTensor().to(torch::kFloat);
}

torch::Tensor RenderLoop::prompts_loss(const Judge& judge, const torch::Tensor& embeddings, double share) const {
  auto loss = torch::zeros({}, embeddings.options());
  for (const auto& target : judge.phases[phase_at(steps_done_)]) {
    const auto one = prompt_loss(embeddings, target.embedding, target.weight, target.stop);
    loss = loss + (share == 1.0 ? one : one * share);
  }
  return loss;
}

torch::Tensor RenderLoop::regulariser_loss() const {
  auto loss = torch::zeros({}, parameters_.front().options());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& values = parameters_[i];
    // Katherine Crowson's notebook: a constant pull towards the initial latent.
    if (settings_.init_weight > 0) loss = loss + settings_.init_weight * torch::mse_loss(values, start_[i]) / 2;
    // nerdyrodent's generate.py (its --init_weight): towards zero, fading as 1 / (2 i + 1).
    if (settings_.zero_weight > 0) {
      loss = loss + settings_.zero_weight / (2.0 * steps_done_ + 1) * values.square().mean() / 2;
    }
  }
  return loss;
}

StepResult RenderLoop::step() {
  const auto device = parameters_.front().device();
  StepResult result;
  apply_learning_rate_schedule();
  optimiser_->zero_grad();

  auto start = Clock::now();
  drawer_->set_progress(progress_at(steps_done_));
  const auto picture = drawer_->draw(settings_.precision);
  if (picture_gradient_hook_) picture.register_hook([this](const torch::Tensor&) { picture_gradient_hook_(); });
  result.timings.decode = synchronized_seconds_since(start, device);

  const int batch = settings_.cutouts.batch;
  const bool micro_batched = batch > 0 && batch < settings_.cutouts.cutn;
  if (judges_.size() == 1 && !micro_batched) {
    whole_step(picture, result);
  } else {
    split_step(picture, result);
  }
  if (!result.finite) return result;  // the next step's zero_grad() drops any gradient summed

  start = Clock::now();
  optimiser_->step();
  drawer_->project();
  result.timings.optimiser = synchronized_seconds_since(start, device);
  ++steps_done_;
  last_loss_ = result.loss;
  return result;
}

void RenderLoop::whole_step(const torch::Tensor& picture, StepResult& result) {
  const auto device = picture.device();
  auto& judge = judges_.front();
  auto start = Clock::now();
  const auto views = cut_views(judge, picture);
  result.timings.cutouts = synchronized_seconds_since(start, device);

  start = Clock::now();
  auto loss = prompts_loss(judge, embed_views(judge, views), judge.weight);
  if (settings_.init_weight > 0 || settings_.zero_weight > 0) loss = loss + regulariser_loss();
  if (settings_.losses.any()) loss = loss + picture_loss(picture, settings_.losses);
  result.timings.clip_forward = synchronized_seconds_since(start, device);
  result.loss = loss.item<double>();
  result.finite = std::isfinite(result.loss);
  if (!result.finite) return;
  start = Clock::now();
  loss.backward();
  result.timings.backward = synchronized_seconds_since(start, device);
}

void RenderLoop::split_step(const torch::Tensor& picture, StepResult& result) {
  const auto device = picture.device();
  const int cutn = settings_.cutouts.cutn;
  const int batch = settings_.cutouts.batch > 0 ? std::min(settings_.cutouts.batch, cutn) : cutn;
  const bool regularised = settings_.init_weight > 0 || settings_.zero_weight > 0;
  const bool picture_losses = settings_.losses.any();
  const auto latent_loss = regularised ? regulariser_loss() : torch::Tensor();
  const auto drawn_loss = picture_losses ? picture_loss(picture, settings_.losses) : torch::Tensor();
  result.loss = regularised ? latent_loss.item<double>() : 0.0;
  if (picture_losses) result.loss += drawn_loss.item<double>();

  // Each micro-batch's loss is its share of its judge's weighted mean over all
  // views, so the gradient is the whole batch's up to float summation order.
  std::vector<torch::Tensor> outputs, gradients;
  for (auto& judge : judges_) {
    auto start = Clock::now();
    const auto views = cut_views(judge, picture);
    result.timings.cutouts += synchronized_seconds_since(start, device);
    const auto views_copy = views.detach().requires_grad_(true);
    for (int first = 0; first < cutn; first += batch) {
      const int count = std::min(batch, cutn - first);
      start = Clock::now();
      const auto loss = prompts_loss(judge, embed_views(judge, views_copy.narrow(0, first, count)),
                                     judge.weight * count / cutn);
      result.timings.clip_forward += synchronized_seconds_since(start, device);
      result.loss += loss.item<double>();
      result.finite = std::isfinite(result.loss);
      if (!result.finite) return;
      start = Clock::now();
      loss.backward();
      result.timings.backward += synchronized_seconds_since(start, device);
    }
    outputs.push_back(views);
    gradients.push_back(views_copy.grad());
  }
  const auto start = Clock::now();
  if (picture_losses) {
    outputs.push_back(drawn_loss);
    gradients.push_back(torch::ones_like(drawn_loss));
  }
  torch::autograd::backward(outputs, gradients);
  if (regularised) latent_loss.backward();
  result.timings.backward += synchronized_seconds_since(start, device);
}

LoopState RenderLoop::state() {
  LoopState state;
  state.steps_done = steps_done_;
  state.lr_dropped = lr_dropped_;
  state.last_loss = last_loss_;
  for (const auto& parameter : parameters_) state.parameters.push_back(parameter.detach().to(torch::kCPU).clone());
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
  bool fits = state.parameters.size() == parameters_.size();
  for (size_t i = 0; fits && i < parameters_.size(); ++i) {
    fits = state.parameters[i].defined() && state.parameters[i].sizes() == parameters_[i].sizes();
  }
  if (!fits) throw InputError("the state's drawer parameters do not fit this render's drawer and size");
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
    for (size_t i = 0; i < parameters_.size(); ++i) {
      parameters_[i].copy_(state.parameters[i].to(parameters_[i].device()));
    }
  }
  steps_done_ = state.steps_done;
  if (steps_done_ > 0) drawer_->set_progress(progress_at(steps_done_ - 1));  // as the last step drew it
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

torch::Tensor RenderLoop::render() { return drawer_->picture(); }

}  // namespace vqclip
