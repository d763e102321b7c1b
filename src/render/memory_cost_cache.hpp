#pragma once
// Memory costs kept on disk between processes (docs/architecture.md, "Memory
// estimate"): measuring them takes about two full-size steps, and they depend
// only on the bundle's files, the loop settings, the CPU and the build.
#include <filesystem>
#include <optional>
#include <string>

#include "config/cache_dir.hpp"
#include "vqclip/memory_costs.hpp"

namespace vqclip {

// The costs stored under `key` (any text; hashed into a file name), or nothing
// when there are none or the file is unreadable or malformed.
std::optional<MemoryCosts> read_cached_costs(const std::string& key);
// The loaded vqclip library's path, size and modification time: a rebuilt
// library may allocate differently, so it is part of every key.
std::string library_identity();

// Stores them atomically; a cache that cannot be written only costs a debug line.
void write_cached_costs(const std::string& key, const MemoryCosts& costs);

}  // namespace vqclip
