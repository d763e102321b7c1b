#pragma once
// Progress of a tool working through a list (images indexed, inputs embedded):
// a live line on a terminal, a log line every 10% otherwise, and one JSON
// object a line on stdout with --progress json.
#include <chrono>
#include <string>

#include "cli/context_options.hpp"
#include "cli/progress.hpp"

namespace vqclip::cli {

class CountProgress {
 public:
  // `label` leads each line ("indexing pictures/"); `unit` follows the counts ("images").
  CountProgress(const DisplayOptions& display, std::string label, std::string unit);
  ~CountProgress();
  CountProgress(const CountProgress&) = delete;
  CountProgress& operator=(const CountProgress&) = delete;

  void update(size_t done, size_t total);

 private:
  ProgressForm form_;
  std::string label_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  size_t next_log_ = 0;
  bool line_open_ = false;
};

}  // namespace vqclip::cli
