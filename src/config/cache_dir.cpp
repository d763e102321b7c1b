#include "config/cache_dir.hpp"

#include <cstdlib>

namespace vqclip {

std::optional<std::filesystem::path> cache_dir() {
  const auto env = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
  };
  if (const char* dir = env("VQCLIP_CACHE_DIR")) return std::filesystem::path(dir);
  if (const char* dir = env("XDG_CACHE_HOME")) return std::filesystem::path(dir) / "vqclip";
  if (const char* home = env("HOME")) return std::filesystem::path(home) / ".cache" / "vqclip";
  return std::nullopt;
}

}  // namespace vqclip
