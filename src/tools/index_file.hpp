#pragma once
// The search index file of earlier versions (.vqclip-index.json) as outside
// input, read once to migrate it: what of it can be trusted, entry by entry. Fuzzed by tests/fuzz/fuzz_search_index.cpp.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vqclip {

inline constexpr const char* kIndexFormat = "vqclip-search-index";
inline constexpr int kIndexVersion = 1;

// One image file as the index knows it.
struct FileKey {
  std::string path;  // relative, generic form
  uint64_t size;
  int64_t mtime_ns;
};

// The "files" object of the index, or an empty one when the index is missing,
// damaged or made by another bundle (then everything is embedded again).
nlohmann::json read_index(const std::filesystem::path& path, const std::string& fingerprint);

// The cached embedding of `file`, if the entry matches its size and mtime and
// holds `dim` floats; nothing for an entry of the wrong shape or types.
std::optional<std::vector<float>> cached_embedding(const nlohmann::json& files, const FileKey& file, int64_t dim);

// Every entry of `files` that is well formed with `dim` floats, as (file, embedding).
std::vector<std::pair<FileKey, std::vector<float>>> indexed_entries(const nlohmann::json& files, int64_t dim);

}  // namespace vqclip
