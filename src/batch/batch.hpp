#pragma once
// Batch rendering: a prompt file becomes jobs; jobs are named, seeded,
// sharded, resumed and logged so that a batch can be killed, restarted and
// spread over a cluster without doing anything twice.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vqclip/animation.hpp"
#include "vqclip/generation_params.hpp"
#include "vqclip/output_params.hpp"

namespace vqclip {

struct BatchOptions {
  std::string prompts_file;            // path or "-" for stdin
  std::filesystem::path out_dir = "out";
  std::string name_template = "{index:04}-{slug}.png";
  std::string shard;                   // "K/N", "auto" or "" (all jobs)
  int shard_count = 0;                 // for "auto" with JOB_COMPLETION_INDEX (Kubernetes)
  bool overwrite = false;
  bool fail_fast = false;
  bool check_only = false;
};

struct Job {
  int index = 0;        // 0-based among the file's jobs
  int line = 0;         // 1-based line number in the file
  std::string prompt;   // the prompt-language text
  std::string overrides;  // what followed " -- ", as typed
  GenerationParams generation;  // the batch's + the line's options, prompt set, validated
  OutputParams output;          // likewise; the path is set by the batch runner
  std::optional<uint64_t> seed_override;  // the line's own --seed
  // Set when the line gives animation options (those of `vqclip animate`):
  // the job renders frames into NAME-frames/ and a video NAME.<video_type>.
  std::optional<AnimationParams> animation;
  std::string video_type = "mp4";
};

// Parses the file's text: one job per non-empty, non-comment line; the base
// groups supply every option a line does not set. A line may set generation
// and output options and make itself an animation with animate's options
// (and --video-type mp4|mkv|webm|webp|gif), not the prompt (the line is the prompt), the output path
// (names come from --name) or the context (one model load serves the batch).
// Every job's groups are validated. Throws InputError for a file without
// prompts, or the error of the first bad line (same exit code as on the
// command line) with "SOURCE:LINE: " before its message.
std::vector<Job> parse_prompt_file(const std::string& text, const std::string& source,
                                   const GenerationParams& base_generation, const OutputParams& base_output);

// Reads FILE or stdin ("-"). Throws InputError if unreadable.
std::string read_prompt_file(const std::string& path);

// ASCII slug of a prompt: lowercase letters and digits joined by '-', at most 60 chars.
std::string slugify(const std::string& prompt);

// Fills {index}, {index:0N}, {line}, {slug}, {seed} in `name_template`.
// Throws UsageError if the template lacks {index} (names could collide).
std::string job_file_name(const std::string& name_template, const Job& job, uint64_t seed);

// A job's seed from the batch seed and its index (independent of order and
// sharding), unless the job overrides --seed.
uint64_t job_seed(uint64_t base_seed, const Job& job);

struct Shard {
  int index = 0;
  int count = 1;
  bool owns(int job_index) const { return job_index % count == index; }
};

// "K/N"; "auto" reads SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or
// JOB_COMPLETION_INDEX with `completions`; "" = the whole file.
// Throws UsageError naming --shard.
Shard resolve_shard(const std::string& spec, int completions);

// Appends one JSON line to `path` atomically with respect to other processes
// (O_APPEND + an exclusive lock, one write), on a fresh line when a crash left
// the last one unfinished. Throws OutputError.
void append_manifest_line(const std::filesystem::path& path, const nlohmann::json& line);

// The JSON objects of a manifest.jsonl; a missing file gives none; other lines
// (torn by a crash, or not objects) are skipped with a warning saying how many.
std::vector<nlohmann::json> read_manifest_lines(const std::filesystem::path& path);

}  // namespace vqclip
