#pragma once
// Step progress: one live line on a terminal; plain log lines every 10% (or
// every N steps) when stderr is a pipe or a file; nothing with -q.
#include <chrono>
#include <string>

namespace vqclip {

class Progress {
 public:
  // log_every = 0: every 10% of `total` when not on a terminal.
  Progress(std::string label, int total, int log_every, bool terminal);
  ~Progress();
  // Called after step `done` (1-based) with the loss of that step.
  void update(int done, double loss);
  // Ends the live line (if any) so that later logs start on a fresh line.
  void finish();

  double steps_per_second() const;

 private:
  std::string label_;
  int total_;
  int log_every_;
  bool terminal_;
  bool line_open_ = false;
  int done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace vqclip
