#include "vqclip/batch_runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <set>

#include "cli/command.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/interrupt.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/progress.hpp"
#include "vqclip/render_job.hpp"

namespace vqclip {
namespace {

struct PlannedJob {
  const Job* job;
  uint64_t seed;
  std::filesystem::path output;
  nlohmann::json key;  // what must match for an existing picture to count as this job
};

nlohmann::json job_key(const Job& job, uint64_t seed) {
  auto config = to_json(job.config);
  config.erase("output");
  return {{"index", job.index}, {"prompt", job.prompt}, {"overrides", job.overrides}, {"seed", seed}, {"config", config}};
}

bool already_rendered(const PlannedJob& planned, const std::string& metadata) {
  if (!std::filesystem::exists(planned.output)) return false;
  if (metadata == "none") return true;  // nothing to compare: the file itself is the record
  try {
    const auto record = read_picture_record(planned.output);
    return record_is_complete(record) && record.value("job", nlohmann::json()) == planned.key;
  } catch (const InputError&) {
    return false;
  }
}

nlohmann::json manifest_line(const PlannedJob& planned, const std::string& status) {
  return {{"index", planned.job->index}, {"line", planned.job->line}, {"prompt", planned.job->prompt},
          {"seed", planned.seed}, {"file", planned.output.filename().string()}, {"status", status}};
}

}  // namespace

int run_batch(const BatchOptions& options, const RunConfig& base, const cli::GlobalOptions& global) {
  const std::string source = options.prompts_file == "-" ? "<stdin>" : options.prompts_file;
  const auto jobs = parse_prompt_file(read_prompt_file(options.prompts_file), source, base);
  const Shard shard = resolve_shard(options.shard, options.shard_count);
  const uint64_t base_seed = base.seed.value_or(0);

  std::vector<PlannedJob> plan;
  for (const auto& job : jobs) {
    if (!shard.owns(job.index)) continue;
    const uint64_t seed = job_seed(base_seed, job);
    plan.push_back({&job, seed, options.out_dir / job_file_name(options.name_template, job, seed), job_key(job, seed)});
  }
  if (options.check_only) {
    std::cout << source << ": " << jobs.size() << " job(s) OK; shard " << shard.index << "/" << shard.count << " has "
              << plan.size() << "\n";
    return 0;
  }

  check_writable(options.out_dir / "manifest.jsonl");
  const auto manifest_path = options.out_dir / "manifest.jsonl";
  std::set<std::pair<int, std::string>> logged_done;
  for (const auto& line : read_manifest_lines(manifest_path)) {
    if (line.value("status", "") == "done") logged_done.insert({line.value("index", -1), line.value("file", "")});
  }

  bool need_encoder = false;
  for (const auto& planned : plan) {
    need_encoder = need_encoder || !planned.job->config.init_image.empty() || !planned.job->config.init_noise.empty();
  }
  auto bundle = cli::load_bundle_for(global, need_encoder);
  InterruptGuard interrupt_guard;

  int done = 0, skipped = 0, failed = 0;
  bool interrupted = false;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < plan.size() && !interrupted; ++i) {
    const auto& planned = plan[i];
    const std::string position = "[" + std::to_string(i + 1) + "/" + std::to_string(plan.size()) + "]";
    if (interrupt_requested()) {
      interrupted = true;
      break;
    }
    if (!options.overwrite && already_rendered(planned, planned.job->config.metadata)) {
      ++skipped;
      // A kill between the picture and its manifest line leaves the line to write now.
      if (!logged_done.count({planned.job->index, planned.output.filename().string()})) {
        append_manifest_line(manifest_path, manifest_line(planned, "done"));
      }
      spdlog::debug("{} line {}: {} exists, skipped", position, planned.job->line, planned.output.string());
      continue;
    }
    RunConfig config = planned.job->config;
    config.output = planned.output;
    RenderContext context;
    context.seed = planned.seed;
    context.threads = torch::get_num_threads();
    context.progress_label = position + " step";
    context.extra_record = {{"job", planned.key}};
    try {
      const auto outcome = render_job(bundle, config, context);
      if (outcome.interrupted) {
        interrupted = true;
        break;
      }
      auto line = manifest_line(planned, "done");
      line["final_loss"] = outcome.final_loss;
      line["seconds"] = outcome.seconds;
      append_manifest_line(manifest_path, line);
      ++done;
    } catch (const Error& e) {
      if (e.code() == ExitCode::kInterrupted || e.code() == ExitCode::kOutput) throw;
      ++failed;
      spdlog::error("{}:{}: job {} failed: {}", source, planned.job->line, planned.job->index, e.what());
      auto line = manifest_line(planned, "failed");
      line["error"] = e.what();
      append_manifest_line(manifest_path, line);
      if (options.fail_fast) break;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t finished = i + 1;
    spdlog::info("{} jobs done | ETA {}", position,
                 format_duration(elapsed / finished * static_cast<double>(plan.size() - finished)));
  }

  spdlog::info("batch: {} rendered, {} already done, {} failed, {} job(s) in shard {}/{}{}", done, skipped, failed,
               plan.size(), shard.index, shard.count, interrupted ? " (interrupted)" : "");
  if (interrupted) return static_cast<int>(ExitCode::kInterrupted);
  return failed > 0 ? static_cast<int>(ExitCode::kBatchFailed) : 0;
}

}  // namespace vqclip
