#include "vqclip/progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace vqclip {

Progress::Progress(std::string label, int total, int log_every, bool terminal)
    : label_(std::move(label)),
      total_(total),
      log_every_(log_every > 0 ? log_every : std::max(1, total / 10)),
      terminal_(terminal && spdlog::should_log(spdlog::level::info)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

double Progress::steps_per_second() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? done_ / elapsed : 0.0;
}

void Progress::update(int done, double loss) {
  done_ = done;
  const double rate = steps_per_second();
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  if (terminal_) {
    const auto now = std::chrono::steady_clock::now();
    // Redraw at most 10 times a second; always draw the last step.
    if (done != total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r\x1b[K%s %d/%d | %.2f it/s | ETA %s | loss %.4f", label_.c_str(), done, total_, rate,
                 format_duration(eta).c_str(), loss);
    std::fflush(stderr);
    line_open_ = true;
  } else if (done % log_every_ == 0 || done == total_) {
    spdlog::info("{} {}/{} | {:.2f} it/s | ETA {} | loss {:.4f}", label_, done, total_, rate, format_duration(eta),
                 loss);
  }
}

void Progress::finish() {
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

std::string format_duration(double seconds) {
  const long total = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  } else if (total >= 60) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", total);
  }
  return buffer;
}

}  // namespace vqclip
