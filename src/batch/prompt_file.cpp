#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "batch/batch.hpp"
#include "cli/animation_job.hpp"
#include "cli/context_options.hpp"
#include "cli/generate_options.hpp"
#include "cli/option_names.hpp"
#include "cli/option_values.hpp"
#include "video/video_writer.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// Options a line may not set, and why.
void reject_given(const std::vector<const CLI::Option*>& options, const std::string& why) {
  const auto given = cli::first_option_given(options);
  if (!given.empty()) throw UsageError(given + " " + why);
}

// The line's options applied to copies of the batch's groups.
void apply_overrides(const std::string& overrides, Job& job) {
  if (overrides.empty()) return;
  CLI::App app{"per-job overrides", "job"};
  app.allow_extras(false);
  cli::add_generation_options(app, job.generation);
  cli::add_output_options(app, job.output);
  cli::AnimationOptions animation;
  auto animation_options = cli::add_animation_options(app, animation);
  std::vector<std::string> video_types;
  for (const auto& extension : VideoWriter::extensions()) video_types.push_back(extension.substr(1));  // no dot
  animation_options.push_back(
      app.add_option("--video-type", job.video_type, "An animation line's video")->check(CLI::IsMember(video_types)));
  ContextParams unused_context;
  cli::DisplayOptions unused_display;
  const auto context = cli::add_context_options(app, unused_context);
  cli::add_display_options(app, unused_display);
  auto args = CLI::detail::split_up(overrides);
  args.erase(std::remove(args.begin(), args.end(), std::string()), args.end());
  cli::reject_options_as_values(app, args);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  reject_given({app.get_option(cli::flag_of("prompts"))}, "cannot be set on a line: the line is the prompt");
  reject_given({app.get_option(cli::flag_of("output"))}, "cannot be set on a line: names come from --name");
  reject_given(context, "cannot be set on a line: the whole batch runs in one context (set it before --prompts-file)");
  for (const char* name : {"--progress", "--log-every", "--verbose", "--quiet"}) {
    if (app.get_option(name)->count() > 0) {
      throw UsageError(std::string(name) + " cannot be set on a line: it applies to the whole batch");
    }
  }
  if (app.get_option("--seed")->count() > 0) job.seed_override = job.generation.seed;
  if (!cli::first_option_given(animation_options).empty()) {
    reject_given({app.get_option(cli::flag_of("frames_dir"))},
                 "cannot be set on an animation line: its frames go to NAME-frames");
    job.animation = animation.params();
  }
}

}  // namespace

std::string read_prompt_file(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw InputError("--prompts-file " + path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--prompts-file " + path + ": cannot be read (" + std::strerror(errno) + ")");
  buffer << in.rdbuf();
  if (in.bad()) throw InputError("--prompts-file " + path + ": read error");
  return buffer.str();
}

std::vector<Job> parse_prompt_file(const std::string& text, const std::string& source,
                                   const GenerationParams& base_generation, const OutputParams& base_output) {
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
    job.generation = base_generation;
    job.output = base_output;
    const std::string where = source + ":" + std::to_string(line_number) + ": ";
    try {
      apply_overrides(job.overrides, job);
      job.generation.prompts = {job.prompt};
      validate(job.generation);
      if (job.animation && job.output.candidates > 1) {
        throw UsageError(cli::flag_of("candidates") + " is for stills: an animation line renders one animation");
      }
      validate(job.output);
    } catch (const ParameterError& e) {
      throw UsageError(where + cli::cli_message(e));
    } catch (const Error& e) {
      throw Error(e.code(), where + e.what());
    }
    jobs.push_back(std::move(job));
  }
  if (jobs.empty()) throw InputError(source + ": no prompts (only empty or # comment lines)");
  return jobs;
}

}  // namespace vqclip
