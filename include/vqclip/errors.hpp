#pragma once
// Error taxonomy: every failure the user can cause maps to one documented
// exit code. Throw these; src/main.cpp turns them into one stderr line.
#include <stdexcept>
#include <string>

namespace vqclip {

enum class ExitCode : int {
  kSuccess = 0,
  kInternal = 1,     // a bug, or a numeric failure such as a non-finite loss
  kUsage = 2,        // bad flag, bad value, impossible combination
  kBundle = 3,       // model bundle missing, corrupt or inconsistent
  kInput = 4,        // prompt file, image or text that cannot be used
  kOutput = 5,       // cannot write an output
  kBatchFailed = 6,  // a batch finished but some jobs failed
  kInterrupted = 130 // SIGINT/SIGTERM, after saving what was done
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

struct UsageError : Error {
  explicit UsageError(const std::string& m) : Error(ExitCode::kUsage, m) {}
};
struct BundleError : Error {
  explicit BundleError(const std::string& m) : Error(ExitCode::kBundle, m) {}
};
struct InputError : Error {
  explicit InputError(const std::string& m) : Error(ExitCode::kInput, m) {}
};
struct OutputError : Error {
  explicit OutputError(const std::string& m) : Error(ExitCode::kOutput, m) {}
};
struct InternalError : Error {
  explicit InternalError(const std::string& m) : Error(ExitCode::kInternal, m) {}
};
struct Interrupted : Error {
  explicit Interrupted(const std::string& m) : Error(ExitCode::kInterrupted, m) {}
};

// Text for `--help` and the README, kept next to the codes it describes.
const char* exit_code_table();

}  // namespace vqclip
