#include <cstdlib>

#include "config/install_paths.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"
#include "vqclip_paths.hpp"

namespace vqclip {
namespace {

bool is_bundle(const std::filesystem::path& dir) { return std::filesystem::is_regular_file(dir / "vqclip.json"); }

}  // namespace

std::filesystem::path resolve_bundle_dir(const std::optional<std::filesystem::path>& given) {
  if (given) return *given;  // explicit: errors name it as given
  if (const char* env = std::getenv("VQCLIP_MODELS"); env && *env) return env;

  std::vector<std::filesystem::path> candidates;
  for (const auto& dir : install_candidates(VQCLIP_LIBDIR_TO_MODELS, VQCLIP_BINDIR_TO_MODELS)) {
    candidates.push_back(dir / "tiny-shapes");
  }
  candidates.push_back((std::filesystem::path(VQCLIP_SOURCE_MODELS_DIR) / "tiny-shapes").lexically_normal());
  for (const auto& dir : candidates) {
    if (is_bundle(dir)) return dir;
  }
  std::string looked;
  for (const auto& dir : candidates) looked += (looked.empty() ? "" : ", ") + dir.string();
  throw BundleError("no model bundle found (looked in: --models, $VQCLIP_MODELS, " + looked + ")");
}

}  // namespace vqclip
