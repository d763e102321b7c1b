#pragma once
// Logs go to stderr through spdlog's default logger; stdout is kept for the
// data a command prints (ids, tables, JSON, --progress json).

namespace vqclip::cli {

// Level: info by default; SPDLOG_LEVEL (e.g. "debug") overrides it; -v/-vv
// (debug/trace) and -q (errors only) override both.
void setup_logging(int verbosity, bool quiet);

}  // namespace vqclip::cli
