#include "serve/job_queue.hpp"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "batch/batch.hpp"
#include "io/base64.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/render.hpp"
#include "vqclip/render_output.hpp"
#include "vqclip/runtime.hpp"

namespace vqclip::serve {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The batch runner's naming: {index:04}-{slug}.png.
std::string picture_name(const ServeJob& job) {
  std::string prompt;
  for (const auto& text : job.params.prompts) prompt += (prompt.empty() ? "" : " ") + text;
  std::string index = std::to_string(job.index);
  if (index.size() < 4) index.insert(0, 4 - index.size(), '0');
  const auto slug = slugify(prompt);
  return index + "-" + (slug.empty() ? "picture" : slug) + ".png";
}

nlohmann::json progress_data(const StepInfo& info) {
  return {{"step", info.step}, {"steps", info.steps}, {"loss", info.loss}, {"eta", info.eta()}, {"elapsed", info.elapsed}};
}

}  // namespace

JobQueue::JobQueue(Models& models, const ServeOptions& options)
    : models_(models), options_(options), store_(options.out_dir) {
  for (auto& job : store_.load_all()) {
    next_index_ = std::max(next_index_, job.index + 1);
    const int index = job.index;
    if (job.state == JobState::kRunning) job.state = JobState::kQueued;  // a server that died mid-job
    jobs_[index] = job;
    if (job.finished()) {
      events_[index].push_back({1, std::string(name_of(job.state)), job.to_json()});
      last_sequence_[index] = 1;
    } else {
      queue_.push_back(index);
    }
  }
  if (!jobs_.empty()) {
    spdlog::info("serve: {} jobs in {}, {} to run", jobs_.size(), options_.out_dir.string(), queue_.size());
  }
}

JobQueue::~JobQueue() = default;

void JobQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

ServeJob JobQueue::submit(GenerationParams params) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) throw QueueFull("the server is shutting down");
  if (queue_.size() >= options_.max_queue) {
    throw QueueFull(std::to_string(queue_.size()) + " jobs are waiting, the most this server keeps (--max-queue)");
  }
  ServeJob job;
  job.index = next_index_++;
  job.created = unix_now();
  job.params = std::move(params);
  store_.save(job);
  jobs_[job.index] = job;
  queue_.push_back(job.index);
  emit(job.index, "queued", job.to_json());
  return job;
}

int JobQueue::index_of(const std::string& id) const {
  // An id is its job's index in decimal, as ServeJob::id() writes it ("01" is no id).
  if (id.empty() || id.size() > 9 || id.find_first_not_of("0123456789") != std::string::npos) return 0;
  const int index = std::stoi(id);
  return std::to_string(index) == id && jobs_.count(index) ? index : 0;
}

std::optional<ServeJob> JobQueue::job(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const int index = index_of(id);
  if (index == 0) return std::nullopt;
  return jobs_.at(index);
}

std::vector<ServeJob> JobQueue::jobs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ServeJob> all;
  for (const auto& [index, job] : jobs_) all.push_back(job);
  return all;
}

bool JobQueue::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

size_t JobQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

std::optional<ServeJob> JobQueue::cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int index = index_of(id);
  if (index == 0) return std::nullopt;
  auto& job = jobs_.at(index);
  if (job.state == JobState::kQueued) {
    queue_.erase(std::remove(queue_.begin(), queue_.end(), index), queue_.end());
    job.state = JobState::kCancelled;
    finish(job, "cancelled", job.to_json());
  } else if (job.state == JobState::kRunning) {
    cancel_running_ = true;
  }
  return job;
}

std::optional<std::vector<JobEvent>> JobQueue::events_after(const std::string& id, uint64_t after,
                                                            std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const int index = index_of(id);
  if (index == 0) return std::nullopt;
  const auto newer = [&] {
    const auto found = last_sequence_.find(index);
    return found != last_sequence_.end() && found->second > after;
  };
  changed_.wait_for(lock, timeout, newer);
  std::vector<JobEvent> events;
  const auto found = events_.find(index);
  if (found == events_.end()) return events;
  for (const auto& event : found->second) {
    if (event.sequence > after) events.push_back(event);
  }
  return events;
}

std::optional<ServeJob> JobQueue::wait_finished(const std::string& id) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const int index = index_of(id);
  if (index == 0) return std::nullopt;
  changed_.wait(lock, [&] { return jobs_.at(index).finished() || stopping_; });
  return jobs_.at(index);
}

void JobQueue::emit(int index, std::string type, nlohmann::json data) {
  auto& events = events_[index];
  const uint64_t sequence = ++last_sequence_[index];
  JobEvent event{sequence, std::move(type), std::move(data)};
  // A finished job keeps its last event only: memory stays flat over many jobs.
  if (event.final()) events.clear();
  events.push_back(std::move(event));
  changed_.notify_all();
}

void JobQueue::finish(ServeJob& job, std::string type, nlohmann::json data) {
  store_.save(job);
  data["state"] = std::string(name_of(job.state));
  emit(job.index, std::move(type), std::move(data));
}

void JobQueue::work() {
  // A thread other than the one that set the context's thread count starts
  // with OpenMP's default team size: take the process's, so that a job's
  // picture is the command line's whichever thread renders it.
  at::init_num_threads();
  for (;;) {
    int index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      index = queue_.front();
      queue_.pop_front();
      running_ = index;
      cancel_running_ = false;
      auto& job = jobs_.at(index);
      job.state = JobState::kRunning;
      job.step = 0;
      store_.save(job);
      emit(index, "running", job.to_json());
    }
    run(index);
    bool idle = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = 0;
      idle = queue_.empty();
    }
    // The render's buffers stay in the process for the next job (tune_memory_allocator);
    // an idle server gives them back.
    if (idle) return_free_memory();
  }
}

void JobQueue::run(int index) {
  GenerationParams params;
  OutputParams output_params;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& job = jobs_.at(index);
    params = job.params;
    output_params.path = options_.out_dir / picture_name(job);
  }
  try {
    RenderOutput output(output_params);
    RenderCallbacks callbacks;
    callbacks.on_step = [&](const StepInfo& info) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& job = jobs_.at(index);
      job.step = info.step;
      job.loss = info.loss;
      job.eta = info.eta();
      job.elapsed = info.elapsed;
      emit(index, "progress", progress_data(info));
      return !cancel_running_ && !stopping_;
    };
    if (options_.preview_every > 0) {
      callbacks.wants_preview = [this](int step, int steps) { return step % options_.preview_every == 0 && step < steps; };
      callbacks.on_preview = [&](const Preview& preview) {
        const auto png = encode_png(tensor_to_image(preview.picture.to(torch::kCPU)), {});
        std::lock_guard<std::mutex> lock(mutex_);
        emit(index, "preview", {{"step", preview.step}, {"image", "data:image/png;base64," + base64_encode(png)}});
      };
    }
    const auto result = render(models_, params, callbacks);
    output.write_final(result);
    std::lock_guard<std::mutex> lock(mutex_);
    auto& job = jobs_.at(index);
    job.file = output_params.path.filename().string();
    job.params.width = result.params.width;  // the size used, for the API's view
    job.params.height = result.params.height;
    job.similarity = result.record.value("similarity", nlohmann::json(nullptr));
    const bool shutting_down = stopping_ && !cancel_running_ && result.status == RenderStatus::kStopped;
    nlohmann::json line{{"index", job.index},       {"prompt", job.params.prompts}, {"seed", *result.params.seed},
                        {"file", job.file},         {"status", std::string(name_of(result.status))},
                        {"final_loss", result.final_loss}, {"seconds", result.seconds}};
    append_manifest_line(options_.out_dir / "manifest.jsonl", line);
    if (shutting_down) {  // saved, marked interrupted; the next start renders it again
      job.state = JobState::kQueued;
      store_.save(job);
      return;
    }
    if (result.status == RenderStatus::kCompleted) {
      job.state = JobState::kDone;
      finish(job, "done", job.to_json());
    } else if (result.status == RenderStatus::kStopped) {
      job.state = JobState::kCancelled;
      finish(job, "cancelled", job.to_json());
    } else {
      job.state = JobState::kFailed;
      job.error = "the loss became non-finite at step " + std::to_string(result.steps_done + 1);
      finish(job, "failed", job.to_json());
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& job = jobs_.at(index);
    job.state = JobState::kFailed;
    job.error = e.what();
    spdlog::error("job {} failed: {}", job.id(), job.error);
    finish(job, "failed", job.to_json());
  }
}

}  // namespace vqclip::serve
