#pragma once
// Error taxonomy: every failure the user can cause maps to one documented
// exit code. Throw these; src/main.cpp turns them into one stderr line.
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

// A parameter of the library's parameter groups is out of range, malformed or
// combined with one it excludes. The message names parameters by their field
// names ("steps", "init_image"); an entry point that calls them otherwise (the
// command line's flags) re-spells them with describe(). The problem text may
// mention other fields as {field} when they are listed in `mentions`.
class ParameterError : public UsageError {
 public:
  using FieldNamer = std::function<std::string(std::string_view field)>;

  ParameterError(std::string field, std::string problem, std::vector<std::string> mentions = {});

  const std::string& field() const noexcept { return field_; }
  // "<name of field> <problem>", each {mention} spelled by `name_of`.
  std::string describe(const FieldNamer& name_of) const;

 private:
  std::string field_;
  std::string problem_;
  std::vector<std::string> mentions_;
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

// Text for `--help` and the README, kept next to the codes it describes.
const char* exit_code_table();

}  // namespace vqclip
