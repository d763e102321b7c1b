#include "serve/serve_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "io/bounded_json.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::serve {
namespace {

std::string job_file_name(int index) {
  std::string digits = std::to_string(index);
  return std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits + ".json";
}

}  // namespace

nlohmann::json ServeJob::to_json() const {
  return {{"id", id()},
          {"state", std::string(name_of(state))},
          {"created", created},
          {"step", step},
          {"steps", params.steps},
          {"loss", loss},
          {"eta", eta},
          {"elapsed", elapsed},
          {"seed", params.seed ? nlohmann::json(*params.seed) : nlohmann::json(nullptr)},
          {"prompts", params.prompts},
          {"width", params.width ? nlohmann::json(*params.width) : nlohmann::json(nullptr)},
          {"height", params.height ? nlohmann::json(*params.height) : nlohmann::json(nullptr)},
          {"drawer", params.drawer.kind ? nlohmann::json(name_of(*params.drawer.kind)) : nlohmann::json(nullptr)},
          {"cutn", params.cutouts.cutn},
          {"file", file.empty() ? nlohmann::json(nullptr) : nlohmann::json(file)},
          {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)},
          {"similarity", similarity}};
}

JobStore::JobStore(std::filesystem::path out_dir) : out_dir_(std::move(out_dir)), jobs_dir_(out_dir_ / "jobs") {
  std::error_code error;
  std::filesystem::create_directories(jobs_dir_, error);
  if (error) throw OutputError(jobs_dir_.string() + ": cannot create (" + error.message() + ")");
}

void JobStore::save(const ServeJob& job) const {
  const nlohmann::json stored{{"format", "vqclip-serve-job"},
                              {"version", 1},
                              {"index", job.index},
                              {"created", job.created},
                              {"state", std::string(name_of(job.state))},
                              {"generation", vqclip::to_json(job.params)},
                              {"step", job.step},
                              {"loss", job.loss},
                              {"elapsed", job.elapsed},
                              {"file", job.file},
                              {"error", job.error},
                              {"similarity", job.similarity}};
  write_file_atomically(jobs_dir_ / job_file_name(job.index), stored.dump(2) + "\n");
}

std::vector<ServeJob> JobStore::load_all() const {
  std::vector<ServeJob> jobs;
  for (const auto& entry : std::filesystem::directory_iterator(jobs_dir_)) {
    if (entry.path().extension() != ".json") continue;
    const auto where = entry.path().string();
    try {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const auto stored = parse_bounded_json_or_discarded(text.str());
      if (!stored.is_object() || stored.value("format", "") != "vqclip-serve-job" || !stored.contains("index") ||
          !stored["index"].is_number_integer() || !stored.contains("state") || !stored["state"].is_string()) {
        throw InputError(where + ": not a job file");
      }
      ServeJob job;
      job.index = stored["index"].get<int>();
      job.created = stored.value("created", 0.0);
      job.params = generation_from_json(stored.at("generation"), where);
      validate(job.params);
      const auto state = enum_from_name<JobState>(stored["state"].get<std::string>());
      if (!state) throw InputError(where + ": unknown state");
      job.state = *state;
      job.step = stored.value("step", 0);
      job.loss = stored.value("loss", 0.0);
      job.elapsed = stored.value("elapsed", 0.0);
      job.file = stored.value("file", "");
      job.error = stored.value("error", "");
      job.similarity = stored.value("similarity", nlohmann::json(nullptr));
      jobs.push_back(std::move(job));
    } catch (const std::exception& e) {
      spdlog::warn("skipped a job file: {}", e.what());
    }
  }
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return jobs;
}

}  // namespace vqclip::serve
