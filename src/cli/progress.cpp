#include "cli/progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace vqclip::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressForm progress_form(const DisplayOptions& display) {
  switch (display.progress) {
    case ProgressFormat::kJson:
      return ProgressForm::kJson;
    case ProgressFormat::kPlain:
      return ProgressForm::kPlain;
    case ProgressFormat::kTty:
    case ProgressFormat::kAuto:
      break;
  }
  const bool live = display.progress == ProgressFormat::kTty || stderr_is_terminal();
  return live && spdlog::should_log(spdlog::level::info) ? ProgressForm::kTty : ProgressForm::kPlain;
}

Progress::Progress(const DisplayOptions& display, std::string label, int steps, nlohmann::json job)
    : form_(progress_form(display)),
      label_(std::move(label)),
      steps_(steps),
      log_every_(display.log_every > 0 ? display.log_every : std::max(1, steps / 10)),
      job_(std::move(job)) {}

Progress::~Progress() { end_line(); }

void Progress::step(const StepInfo& info, const std::optional<std::filesystem::path>& frame) {
  const double rate = info.elapsed > 0 ? info.step / info.elapsed : 0.0;
  switch (form_) {
    case ProgressForm::kJson: {
      nlohmann::json line{{"event", "step"}, {"step", info.step},       {"steps", info.steps},
                          {"loss", info.loss}, {"elapsed", info.elapsed}, {"eta", info.eta()}};
      if (frame) line["preview"] = frame->string();
      emit_json(std::move(line));
      return;
    }
    case ProgressForm::kTty: {
      const auto now = std::chrono::steady_clock::now();
      // Redraw at most 10 times a second; always draw the last step.
      if (info.step != info.steps && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      std::fprintf(stderr, "\r\x1b[K%s %d/%d | %.2f it/s | ETA %s | loss %.4f", label_.c_str(), info.step, info.steps,
                   rate, format_duration(info.eta()).c_str(), info.loss);
      std::fflush(stderr);
      line_open_ = true;
      return;
    }
    case ProgressForm::kPlain:
      if (info.step % log_every_ == 0 || info.step == info.steps) {
        spdlog::info("{} {}/{} | {:.2f} it/s | ETA {} | loss {:.4f}", label_, info.step, info.steps, rate,
                     format_duration(info.eta()), info.loss);
      }
      return;
  }
}

void Progress::done(const RenderResult& result, const std::filesystem::path& file) {
  end_line();
  if (form_ != ProgressForm::kJson) return;
  nlohmann::json line{{"event", "done"},
                      {"status", name_of(result.status)},
                      {"step", result.steps_done},
                      {"steps", steps_},
                      {"loss", result.final_loss},
                      {"elapsed", result.seconds},
                      {"eta", 0.0},
                      {"seed", *result.params.seed},
                      {"file", file.string()},
                      {"similarity", result.record.value("similarity", nlohmann::json::array())}};
  emit_json(std::move(line));
}

void Progress::end_line() {
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

void Progress::emit_json(nlohmann::json line) const {
  if (!job_.is_null()) line["job"] = job_;
  const std::string text = line.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);  // a driver reads each line as it comes
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

}  // namespace vqclip::cli
