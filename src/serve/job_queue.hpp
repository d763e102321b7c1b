#pragma once
// The server's jobs: a bounded FIFO queue, one worker rendering on the loaded
// models, each job's events (progress, previews, the end) for the event
// streams, cancelling, and the store that lets a restarted server go on.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "serve/serve_job.hpp"
#include "serve/serve_options.hpp"
#include "vqclip/models.hpp"

namespace vqclip::serve {

struct JobEvent {
  uint64_t sequence = 0;  // increases by one per event of the job, from 1
  std::string type;       // progress, preview, done, failed, cancelled
  nlohmann::json data;
  bool final() const { return type == "done" || type == "failed" || type == "cancelled"; }
};

struct QueueFull : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JobQueue {
 public:
  // Loads the store's jobs: finished ones are listed, queued and interrupted
  // ones are queued again in their order.
  JobQueue(Models& models, const ServeOptions& options);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Renders the queued jobs on the calling thread until shutdown(). Run it on
  // the thread that loaded the models: with 2 CPU threads, renders in another
  // thread measured 15-25% slower here (a second OpenMP team beside the idle one).
  void work();
  // From any thread: stops taking jobs and asks the running one to stop; it is
  // saved, marked interrupted, and queued again for the next start. work() returns.
  void shutdown();

  // Queues a job; throws QueueFull when options.max_queue jobs wait.
  ServeJob submit(GenerationParams params);
  std::optional<ServeJob> job(const std::string& id) const;
  std::vector<ServeJob> jobs() const;
  size_t waiting() const;
  // Queued: cancelled at once. Running: asked to stop after its step (the
  // picture is saved, marked interrupted). Nothing for an unknown id.
  std::optional<ServeJob> cancel(const std::string& id);
  // The job's events after `after`, waiting up to `timeout` for one; empty
  // when none came. Nothing for an unknown id.
  std::optional<std::vector<JobEvent>> events_after(const std::string& id, uint64_t after,
                                                    std::chrono::milliseconds timeout) const;
  // Waits until the job has finished.
  std::optional<ServeJob> wait_finished(const std::string& id) const;
  const ServeOptions& options() const { return options_; }
  const Manifest& manifest() const { return models_.manifest; }
  bool stopping() const;

 private:
  void run(int index);
  int index_of(const std::string& id) const;  // mutex held; 0 for no such job
  void emit(int index, std::string type, nlohmann::json data);  // mutex held
  void finish(ServeJob& job, std::string type, nlohmann::json data);  // mutex held: state saved, event sent

  Models& models_;
  ServeOptions options_;
  JobStore store_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<int, ServeJob> jobs_;
  std::map<int, std::vector<JobEvent>> events_;
  std::map<int, uint64_t> last_sequence_;
  std::deque<int> queue_;
  int next_index_ = 1;
  int running_ = 0;          // the index of the running job; 0: none
  bool cancel_running_ = false;
  bool stopping_ = false;
};

}  // namespace vqclip::serve
