#include "batch/batch_runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <set>

#include "cli/animation_job.hpp"
#include "cli/command.hpp"
#include "cli/interrupt.hpp"
#include "cli/option_names.hpp"
#include "cli/progress.hpp"
#include "cli/render_to_files.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/candidates.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"

namespace vqclip {
namespace {

struct PlannedJob {
  const Job* job;
  GenerationParams generation;  // the job's, with its seed
  OutputParams output;          // the job's, with its file and frames folder
  nlohmann::json key;           // what must match for an existing picture to count as this job
};

nlohmann::json job_key(const Job& job, const GenerationParams& generation, const OutputParams& output) {
  nlohmann::json key{{"index", job.index},
                     {"prompt", job.prompt},
                     {"overrides", job.overrides},
                     {"seed", *generation.seed},
                     {"generation", to_json(generation)}};
  // Only for a best-of-N, so that the pictures of earlier batches keep their keys.
  if (output.candidates > 1) {
    key["candidates"] = {{"of", output.candidates}, {"keep", output.keep}, {"judge", output.judge.string()}};
  }
  return key;
}

PlannedJob plan_job(const Job& job, const BatchOptions& options, uint64_t base_seed) {
  PlannedJob planned{&job, job.generation, job.output, nullptr};
  planned.generation.seed = job_seed(base_seed, job);
  planned.output.path = options.out_dir / job_file_name(options.name_template, job, *planned.generation.seed);
  if (job.animation) {
    // NAME.mp4 and its frames in NAME-frames/, which are also what tells a finished job.
    planned.output.path.replace_extension("." + job.video_type);
    planned.output.frames_dir = planned.output.path.parent_path() / (planned.output.path.stem().string() + "-frames");
    return planned;
  }
  route_svg_output(planned.output);  // a name ending .svg: NAME.svg and NAME.png with the record
  // Each job's frames in a folder of their own, named after its picture.
  if (!planned.output.frames_dir.empty()) planned.output.frames_dir /= planned.output.path.stem();
  planned.key = job_key(job, planned.generation, planned.output);
  return planned;
}

// Whether a picture's job key is this job's. Generation fields newer than the
// picture count as their defaults, so that upgrading vqclip does not render
// a finished batch again.
bool same_job(const nlohmann::json& recorded, const nlohmann::json& key) {
  if (!recorded.is_object() || !recorded.contains("generation") || !recorded["generation"].is_object()) return false;
  auto recorded_rest = recorded;
  auto key_rest = key;
  recorded_rest.erase("generation");
  key_rest.erase("generation");
  return recorded_rest == key_rest && !first_generation_difference(recorded["generation"], key["generation"]);
}

bool already_rendered(const PlannedJob& planned) {
  if (!std::filesystem::exists(planned.output.path)) return false;
  if (!planned.output.svg_path.empty() && !std::filesystem::exists(planned.output.svg_path)) return false;
  if (planned.output.metadata == MetadataMode::kNone) return true;  // nothing to compare: the file is the record
  try {
    const auto record = read_picture_record(planned.output.path);
    return record_is_complete(record) && record.contains("job") && same_job(record["job"], planned.key);
  } catch (const InputError&) {
    return false;
  }
}

nlohmann::json manifest_line(const PlannedJob& planned, const std::string& status) {
  return {{"index", planned.job->index}, {"line", planned.job->line},
          {"prompt", planned.job->prompt}, {"seed", *planned.generation.seed},
          {"file", planned.output.path.filename().string()}, {"status", status}};
}

enum class AnimationOutcome { kRendered, kAlreadyDone, kStopped };

// An animation line: its frames, going on after those already in its folder
// (all of them there and the video too: already done), then its video.
AnimationOutcome render_animation_job(const PlannedJob& planned, bool overwrite, Models& models,
                                      const cli::DisplayOptions& display, const std::string& position, int threads) {
  cli::AnimationJob job;
  job.generation = planned.generation;
  job.animation = *planned.job->animation;
  job.video = planned.output.path;
  job.frames_dir = planned.output.frames_dir;
  job.label = position + " ";
  if (overwrite) {
    std::filesystem::remove_all(job.frames_dir);
    std::filesystem::remove(job.video);
  }
  cli::AnimationRun animation(job, models.manifest);
  if (animation.complete() && std::filesystem::exists(job.video)) return AnimationOutcome::kAlreadyDone;
  const bool finished = animation.render_missing(models, display);
  animation.write_video(threads);
  return finished ? AnimationOutcome::kRendered : AnimationOutcome::kStopped;
}

}  // namespace

int run_batch(const BatchOptions& options, const cli::CommonOptions& common, const GenerationParams& base_generation,
              const OutputParams& base_output) {
  const std::string source = options.prompts_file == "-" ? "<stdin>" : options.prompts_file;
  const auto jobs = parse_prompt_file(read_prompt_file(options.prompts_file), source, base_generation, base_output);
  const Shard shard = resolve_shard(options.shard, options.shard_count);
  const uint64_t base_seed = base_generation.seed.value_or(0);
  const auto context = resolve(common.context);
  const auto manifest = read_manifest(context.bundle_dir);

  std::vector<PlannedJob> plan;
  bool need_vqgan = false;
  bool need_encoder = false;
  for (const auto& job : jobs) {
    if (!shard.owns(job.index)) continue;
    const auto line_error = [&](const std::string& problem) {
      return UsageError(source + ":" + std::to_string(job.line) + ": " + problem);
    };
    if (!job.output.state_path.empty()) {
      throw line_error("--state is for a single render; a batch resumes job by job when run again");
    }
    if (job.output.svg_path != base_output.svg_path) {
      throw line_error("--svg is for a single render; name a batch's pictures NAME.svg with --name");
    }
    if (job.output.judge != base_output.judge) {
      throw line_error("--judge is one bundle for the whole batch (loaded once); give it before --prompts-file");
    }
    if (job.output.candidates > 1) {
      try {
        check_judgeable(job.generation);
      } catch (const ParameterError& e) {
        throw line_error(cli::cli_message(e));
      }
    }
    plan.push_back(plan_job(job, options, base_seed));
    // Sizes and seeds that only the bundle decides are checked now, not after hours of other jobs.
    try {
      if (job.animation) {
        const auto resolved = resolve_animation(plan.back().generation, *job.animation, manifest);
        need_vqgan = need_vqgan || resolved.needs_vqgan();
        need_encoder = need_encoder || (resolved.drawer.is_vqgan() && job.animation->frames > 1);
        continue;
      }
      const auto resolved = resolve(plan.back().generation, manifest);
      if (!plan.back().output.svg_path.empty() && resolved.drawer.resolved_kind() != DrawerKind::kVector) {
        throw ParameterError("drawer",
                             std::string(name_of(resolved.drawer.resolved_kind())) + " draws no SVG: --name " +
                                 options.name_template + " needs {drawer} vector",
                             {"drawer"});
      }
      need_vqgan = need_vqgan || resolved.needs_vqgan();
      need_encoder = need_encoder || resolved.needs_encoder();
    } catch (const ParameterError& e) {
      throw UsageError(source + ":" + std::to_string(job.line) + ": " + cli::cli_message(e));
    }
  }
  if (options.check_only) {
    std::cout << source << ": " << jobs.size() << " job(s) OK; shard " << shard.index << "/" << shard.count << " has "
              << plan.size() << "\n";
    return 0;
  }

  const auto manifest_path = options.out_dir / "manifest.jsonl";
  check_writable(manifest_path);
  // The folders the jobs' frame folders go into (each job's own is made when it renders).
  std::set<std::filesystem::path> frame_parents;
  for (const auto& planned : plan) {
    if (!planned.output.frames_dir.empty()) frame_parents.insert(planned.output.frames_dir.parent_path());
  }
  for (const auto& dir : frame_parents) check_writable(dir / frame_file_name(0));
  std::set<std::pair<int64_t, std::string>> logged_done;
  for (const auto& line : read_manifest_lines(manifest_path)) {
    const auto is = [&line](const char* key, auto check) { return line.contains(key) && (line[key].*check)(); };
    if (is("status", &nlohmann::json::is_string) && line["status"] == "done" &&
        is("index", &nlohmann::json::is_number_integer) && is("file", &nlohmann::json::is_string)) {
      logged_done.insert({line["index"].get<int64_t>(), line["file"].get<std::string>()});
    }
  }

  auto judge = cli::load_judge(common.context, base_output.judge, context.threads);
  auto models = load_models(context, ModelParts::for_render(need_vqgan, need_encoder));
  cli::InterruptGuard interrupt_guard;

  int done = 0, skipped = 0, failed = 0;
  bool interrupted = false;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto& planned = plan[i];
    const std::string position = "[" + std::to_string(i + 1) + "/" + std::to_string(plan.size()) + "]";
    if (cli::interrupt_requested()) {
      interrupted = true;
      break;
    }
    const auto skip = [&] {
      ++skipped;
      // A kill between the picture and its manifest line leaves the line to write now.
      if (!logged_done.count({planned.job->index, planned.output.path.filename().string()})) {
        append_manifest_line(manifest_path, manifest_line(planned, "done"));
      }
      spdlog::debug("{} line {}: {} exists, skipped", position, planned.job->line, planned.output.path.string());
    };
    if (!planned.job->animation && !options.overwrite && already_rendered(planned)) {
      skip();
      continue;
    }
    try {
      auto line = manifest_line(planned, "done");
      if (planned.job->animation) {
        const auto started = std::chrono::steady_clock::now();
        const auto outcome =
            render_animation_job(planned, options.overwrite, models, common.display, position, context.threads);
        if (outcome == AnimationOutcome::kAlreadyDone) {
          skip();
          continue;
        }
        if (outcome == AnimationOutcome::kStopped) {
          interrupted = true;
          break;
        }
        line["frames"] = planned.job->animation->frames;
        line["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      } else {
        cli::RenderJob render_job;
        render_job.progress_label = position + " step";
        render_job.job = planned.job->index;
        render_job.extra_record = {{"job", planned.key}};
        if (judge) {
          render_job.judge = &judge->require_clip();
          render_job.judge_name = judge->manifest.name;
        }
        RenderOutput output(planned.output);
        const auto result = cli::render_to_files(models, planned.generation, output, common.display, render_job);
        if (result.status == RenderStatus::kStopped) {
          interrupted = true;
          break;
        }
        line["final_loss"] = result.final_loss;
        line["seconds"] = result.seconds;
        if (result.record.contains("candidates")) line["candidates"] = result.record["candidates"];
      }
      append_manifest_line(manifest_path, line);
      ++done;
    } catch (const Error& e) {
      if (e.code() == ExitCode::kOutput) throw;  // the next job would fail the same way
      ++failed;
      const auto* parameter = dynamic_cast<const ParameterError*>(&e);
      const std::string why = parameter ? cli::cli_message(*parameter) : e.what();  // flags, as the line spells them
      spdlog::error("{}:{}: job {} failed: {}", source, planned.job->line, planned.job->index, why);
      auto line = manifest_line(planned, "failed");
      line["error"] = why;
      append_manifest_line(manifest_path, line);
      if (options.fail_fast) break;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t finished = i + 1;
    spdlog::info("{} jobs done | ETA {}", position,
                 cli::format_duration(elapsed / finished * static_cast<double>(plan.size() - finished)));
  }

  spdlog::info("batch: {} rendered, {} already done, {} failed, {} job(s) in shard {}/{}{}", done, skipped, failed,
               plan.size(), shard.index, shard.count, interrupted ? " (interrupted)" : "");
  if (interrupted) return static_cast<int>(ExitCode::kInterrupted);
  return failed > 0 ? static_cast<int>(ExitCode::kBatchFailed) : 0;
}

}  // namespace vqclip
