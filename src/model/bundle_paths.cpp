#include <unistd.h>

#include <cstdlib>

#include "vqclip/bundle.hpp"
#include "vqclip_paths.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::filesystem::path executable_dir() {
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : exe.parent_path();
}

bool is_bundle(const std::filesystem::path& dir) { return std::filesystem::is_regular_file(dir / "vqclip.json"); }

}  // namespace

std::filesystem::path resolve_bundle_dir(const std::optional<std::filesystem::path>& cli_value) {
  if (cli_value) return *cli_value;  // explicit: errors name it as given
  if (const char* env = std::getenv("VQCLIP_MODELS"); env && *env) return env;

  std::vector<std::filesystem::path> candidates;
  const auto exe_dir = executable_dir();
  if (!exe_dir.empty()) candidates.push_back(exe_dir / VQCLIP_INSTALL_DATADIR_REL / "tiny-shapes");
  candidates.push_back(std::filesystem::path(VQCLIP_SOURCE_MODELS_DIR) / "tiny-shapes");
  for (const auto& dir : candidates) {
    if (is_bundle(dir)) return dir.lexically_normal();
  }
  std::string looked;
  for (const auto& dir : candidates) looked += (looked.empty() ? "" : ", ") + dir.lexically_normal().string();
  throw BundleError("no model bundle found (looked in: --models, $VQCLIP_MODELS, " + looked + ")");
}

}  // namespace vqclip
