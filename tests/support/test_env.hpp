#pragma once
// Where the tests find the executable, the sources, shared/ and the test bundles
// (set by tests/CMakeLists.txt through the ctest environment).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "vqclip_test_paths.hpp"

namespace vqclip::test {

// The environment variable if set, else the build tree's location.
inline std::filesystem::path env_path(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return std::filesystem::path(value && *value ? value : fallback);
}

inline std::filesystem::path exe() { return env_path("VQCLIP_EXE", VQCLIP_TEST_DEFAULT_EXE); }
inline std::filesystem::path source_dir() { return env_path("VQCLIP_SOURCE_DIR", VQCLIP_TEST_DEFAULT_SOURCE_DIR); }
inline std::filesystem::path shared_dir() { return env_path("VQCLIP_SHARED_DIR", VQCLIP_TEST_DEFAULT_SHARED_DIR); }
inline std::filesystem::path test_bundles() { return env_path("VQCLIP_TEST_BUNDLES", VQCLIP_TEST_DEFAULT_BUNDLES); }
// The tiny model bundled in the sources (models/tiny-shapes).
inline std::filesystem::path tiny_bundle() { return source_dir() / "models" / "tiny-shapes"; }

// A fresh, empty scratch directory for one test. The process id keeps tests
// that ctest runs in parallel (one process each) out of each other's files.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto root = env_path("VQCLIP_TEST_TMP", VQCLIP_TEST_DEFAULT_TMP);
  auto dir = root / (name + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Puts an environment variable back, when the scope ends, as it was when the
// scope began (set to its value, or unset).
class EnvironmentRestorer {
 public:
  explicit EnvironmentRestorer(std::string name) : name_(std::move(name)) {
    if (const char* value = std::getenv(name_.c_str())) saved_ = value;
  }
  ~EnvironmentRestorer() {
    if (saved_) {
      setenv(name_.c_str(), saved_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  EnvironmentRestorer(const EnvironmentRestorer&) = delete;
  EnvironmentRestorer& operator=(const EnvironmentRestorer&) = delete;

 private:
  std::string name_;
  std::optional<std::string> saved_;
};

}  // namespace vqclip::test
