#pragma once
// Where vqclip keeps what it measured or checked once, between processes:
// memory costs per bundle and settings, and the sha256 of bundle files.
#include <filesystem>
#include <optional>

namespace vqclip {

// $VQCLIP_CACHE_DIR, else $XDG_CACHE_HOME/vqclip, else ~/.cache/vqclip;
// nothing when none can be named.
std::optional<std::filesystem::path> cache_dir();

}  // namespace vqclip
