#pragma once
// A job of the server: what was asked (validated generation parameters with
// the seed fixed at submission), where it stands, and its file under the out
// dir. Each job is kept as out/jobs/NNNNNN.json, rewritten atomically at every
// change of state, so a restarted server lists finished jobs and runs the
// queued ones again.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vqclip/enum_names.hpp"
#include "vqclip/generation_params.hpp"

namespace vqclip::serve {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

}  // namespace vqclip::serve

namespace vqclip {
template <>
struct EnumTable<serve::JobState> {
  static constexpr std::array<EnumName<serve::JobState>, 5> names{{{serve::JobState::kQueued, "queued"},
                                                                   {serve::JobState::kRunning, "running"},
                                                                   {serve::JobState::kDone, "done"},
                                                                   {serve::JobState::kFailed, "failed"},
                                                                   {serve::JobState::kCancelled, "cancelled"}}};
};
}  // namespace vqclip

namespace vqclip::serve {

struct ServeJob {
  int index = 0;                  // 1-based, in submission order; the id is its decimal form
  double created = 0;             // Unix time of submission
  GenerationParams params;        // validated, seed set
  JobState state = JobState::kQueued;
  int step = 0;
  double loss = 0;
  double eta = 0;
  double elapsed = 0;
  std::string file;               // the picture's name in the out dir, once written
  std::string error;              // why it failed
  nlohmann::json similarity = nullptr;  // the final picture's CLIP similarity per prompt

  std::string id() const { return std::to_string(index); }
  bool finished() const { return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCancelled; }
  // The API's view: id, state, step, steps, loss, eta, seed, file, prompts, ...
  nlohmann::json to_json() const;
};

// Where jobs are kept: out/jobs/NNNNNN.json.
class JobStore {
 public:
  explicit JobStore(std::filesystem::path out_dir);
  void save(const ServeJob& job) const;
  // Every job found, by index. A file that cannot be read is skipped with a warning.
  std::vector<ServeJob> load_all() const;
  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  std::filesystem::path out_dir_;
  std::filesystem::path jobs_dir_;
};

}  // namespace vqclip::serve
