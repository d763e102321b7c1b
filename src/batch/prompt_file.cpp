#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/generate_options.hpp"
#include "vqclip/batch.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// Options a line may not override: the file gives the prompt, the batch the file name.
void reject_per_job_option(const CLI::App& app, const char* name, const std::string& why) {
  if (app.get_option(name)->count() > 0) throw UsageError(std::string(name) + " " + why);
}

// The job's config; `seed_override` is set when the line gives its own --seed.
RunConfig apply_overrides(const RunConfig& base, const std::string& overrides, std::optional<uint64_t>& seed_override) {
  RunConfig config = base;
  if (overrides.empty()) return config;
  CLI::App app{"per-job overrides", "job"};
  app.allow_extras(false);
  cli::add_generate_options(app, config);
  try {
    app.parse(overrides, false);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  reject_per_job_option(app, "--prompt", "cannot be overridden: the line is the prompt");
  reject_per_job_option(app, "--output", "cannot be overridden: names come from --name");
  if (app.get_option("--seed")->count() > 0) seed_override = config.seed;
  return config;
}

}  // namespace

std::string read_prompt_file(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--prompts-file " + path + ": cannot be read (" + std::strerror(errno) + ")");
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<Job> parse_prompt_file(const std::string& text, const std::string& source, const RunConfig& base) {
  std::vector<Job> jobs;
  std::istringstream lines(text);
  std::string raw;
  int line_number = 0;
  while (std::getline(lines, raw)) {
    ++line_number;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    Job job;
    job.index = static_cast<int>(jobs.size());
    job.line = line_number;
    const auto separator = line.find(" -- ");
    job.prompt = trim(line.substr(0, separator));
    job.overrides = separator == std::string::npos ? "" : trim(line.substr(separator + 4));
    try {
      parse_prompt(job.prompt);
      job.config = apply_overrides(base, job.overrides, job.seed_override);
      parse_augments(job.config.augments);
    } catch (const Error& e) {
      throw InputError(source + ":" + std::to_string(line_number) + ": " + e.what());
    }
    job.config.prompts = {job.prompt};
    jobs.push_back(std::move(job));
  }
  if (jobs.empty()) throw InputError(source + ": no prompts (only empty or # comment lines)");
  return jobs;
}

}  // namespace vqclip
