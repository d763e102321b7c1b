#pragma once
// Where the tests find the executable, the sources, shared/ and the test bundles
// (set by tests/CMakeLists.txt through the ctest environment).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace vqclip::test {

inline std::filesystem::path env_path(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::filesystem::path(value) : std::filesystem::path();
}

inline std::filesystem::path exe() { return env_path("VQCLIP_EXE"); }
inline std::filesystem::path source_dir() { return env_path("VQCLIP_SOURCE_DIR"); }
inline std::filesystem::path shared_dir() { return env_path("VQCLIP_SHARED_DIR"); }
inline std::filesystem::path test_bundles() { return env_path("VQCLIP_TEST_BUNDLES"); }

// A fresh, empty scratch directory for one test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto root = env_path("VQCLIP_TEST_TMP");
  if (root.empty()) root = std::filesystem::temp_directory_path() / "vqclip-tests";
  auto dir = root / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace vqclip::test
