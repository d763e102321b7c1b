#include "cli/count_progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

namespace vqclip::cli {

CountProgress::CountProgress(const DisplayOptions& display, std::string label, std::string unit)
    : form_(progress_form(display)), label_(std::move(label)), unit_(std::move(unit)) {}

CountProgress::~CountProgress() {
  if (line_open_) std::fputc('\n', stderr);
}

void CountProgress::update(size_t done, size_t total) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  switch (form_) {
    case ProgressForm::kJson:
      std::cout << nlohmann::json{{"event", "progress"}, {"done", done}, {"total", total}, {"elapsed", seconds}}.dump()
                << std::endl;
      return;
    case ProgressForm::kTty:
      if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      std::fprintf(stderr, "\r\x1b[K%s %zu/%zu %s | %.0f/s | ETA %s", label_.c_str(), done, total, unit_.c_str(), rate,
                   format_duration(eta).c_str());
      std::fflush(stderr);
      line_open_ = true;
      return;
    case ProgressForm::kPlain:
      if (done < next_log_ && done != total) return;
      next_log_ = done + std::max<size_t>(1, total / 10);
      spdlog::info("{} {}/{} {} | {:.0f}/s | ETA {}", label_, done, total, unit_, rate, format_duration(eta));
      return;
  }
}

}  // namespace vqclip::cli
