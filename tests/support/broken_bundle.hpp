#pragma once
// Broken-bundle tables: a scratch copy of a good test bundle with one thing
// broken must fail with a BundleError naming the problem, in-process and as
// `vqclip info` (exit 3, one stderr line).
#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "vqclip/models.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::test {

inline std::filesystem::path vit_bundle() { return test_bundles() / "vit-vqgan"; }

// A scratch copy of `bundle` named `name`, safe to break.
inline std::filesystem::path copy_bundle(const std::filesystem::path& bundle, const std::string& name) {
  const auto dir = scratch_dir(name);
  std::filesystem::copy(bundle, dir, std::filesystem::copy_options::recursive);
  return dir;
}

inline nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(std::ifstream(path)); }

inline void edit_manifest(const std::filesystem::path& dir, const std::function<void(nlohmann::json&)>& edit) {
  auto manifest = read_json(dir / "vqclip.json");
  edit(manifest);
  std::ofstream(dir / "vqclip.json") << manifest.dump(2);
}

struct BrokenBundleCase {
  std::string name;
  std::function<void(const std::filesystem::path&)> breaks;
  std::string expected_words;  // "{dir}" stands for the broken copy's directory
  bool verify = true;  // false: skip the sha256 check to reach the check behind it
};

// For INSTANTIATE_TEST_SUITE_P: gtest names allow no '-'.
inline std::string case_name(const ::testing::TestParamInfo<BrokenBundleCase>& info) {
  std::string name = info.param.name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

inline void expect_rejected(const BrokenBundleCase& c) {
  const auto dir = copy_bundle(vit_bundle(), "broken-" + c.name);
  c.breaks(dir);
  std::string expected = c.expected_words;
  if (const auto at = expected.find("{dir}"); at != std::string::npos) expected.replace(at, 5, dir.string());

  LoadOptions options;
  options.verify_hashes = c.verify;
  try {
    load_models(dir, options);
    ADD_FAILURE() << c.name << ": the broken bundle loaded";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }

  std::vector<std::string> args{"info", "--models", dir.string()};
  if (!c.verify) args.push_back("--no-verify");
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_EQ(result.err.rfind("vqclip: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

}  // namespace vqclip::test
