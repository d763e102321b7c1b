#pragma once
// Progress of a render on the command line: a live line on a terminal, a log
// line every N steps when stderr is a pipe or a file, or one JSON object a line
// on stdout for programs that drive vqclip (--progress json).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/context_options.hpp"
#include "vqclip/render.hpp"

namespace vqclip::cli {

// How progress is shown: a live line on a terminal, log lines, or JSON lines on stdout.
enum class ProgressForm { kTty, kPlain, kJson };

// --progress resolved: auto is the live line on a terminal and log lines
// otherwise; -q turns the live line into log lines, which -q silences. JSON is
// data for a program, not a log: -q leaves it.
ProgressForm progress_form(const DisplayOptions& display);

class Progress {
 public:
  // log_every = 0: every 10% of `steps` in plain form. `job`, when not null,
  // goes into every JSON line (a batch's job index).
  Progress(const DisplayOptions& display, std::string label, int steps, nlohmann::json job = nullptr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // After each step; `frame` is the frame written after it, if any.
  void step(const StepInfo& info, const std::optional<std::filesystem::path>& frame);
  // Once at the end, after the picture was written to `file`.
  void done(const RenderResult& result, const std::filesystem::path& file);

 private:
  void end_line();
  void emit_json(nlohmann::json line) const;

  ProgressForm form_;
  std::string label_;
  int steps_;
  int log_every_;
  nlohmann::json job_;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

// Whether stderr is a terminal (live progress line) or a pipe/file (plain lines).
bool stderr_is_terminal();

}  // namespace vqclip::cli
