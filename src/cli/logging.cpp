#include "cli/logging.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace vqclip::cli {

void setup_logging(int verbosity, bool quiet) {
  auto logger = spdlog::stderr_color_mt("vqclip");
  logger->set_pattern("[%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL
  if (quiet) {
    spdlog::set_level(spdlog::level::err);
  } else if (verbosity >= 2) {
    spdlog::set_level(spdlog::level::trace);
  } else if (verbosity == 1) {
    spdlog::set_level(spdlog::level::debug);
  }
}

}  // namespace vqclip::cli
