#include "cli/batch_options.hpp"

namespace vqclip::cli {

std::vector<const CLI::Option*> add_batch_options(CLI::App& app, BatchOptions& b) {
  const char* group = "Batch";
  return {
      app.add_option("--prompts-file", b.prompts_file,
                     "Render one picture per line of FILE ('-' = stdin); '# ' comments; per-line options after ' -- '")
          ->group(group)->type_name("FILE"),
      app.add_option("--out-dir", b.out_dir, "Directory for a batch's pictures and manifest.jsonl")
          ->group(group)->type_name("DIR"),
      app.add_option("--name", b.name_template, "File name template: {index}, {index:04}, {line}, {slug}, {seed}")
          ->group(group),
      app.add_option("--shard", b.shard, "Render only jobs i with i mod N == K: K/N, or auto (Slurm/Kubernetes)")
          ->group(group)->type_name("K/N|auto"),
      app.add_option("--shard-count", b.shard_count, "Shard count for --shard auto under Kubernetes (completions)")
          ->group(group)->check(CLI::NonNegativeNumber),
      app.add_flag("--overwrite", b.overwrite, "Render jobs again even if their picture exists")->group(group),
      app.add_flag("--fail-fast", b.fail_fast, "Stop the batch at the first failed job")->group(group),
      app.add_flag("--check", b.check_only,
                   "Validate and exit without rendering: the prompts file, or the options alone (printed resolved, as JSON)")
          ->group(group),
  };
}

}  // namespace vqclip::cli
