#include "tools/index_file.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "io/bounded_json.hpp"
#include "tools/float_codec.hpp"

namespace vqclip {

nlohmann::json read_index(const std::filesystem::path& path, const std::string& fingerprint) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  std::stringstream text;
  text << in.rdbuf();
  const auto index = parse_bounded_json_or_discarded(text.str());
  const auto has = [&index](const char* key, const nlohmann::json& expected) {
    return index.contains(key) && index[key] == expected;
  };
  const bool usable = index.is_object() && has("format", kIndexFormat) && has("version", kIndexVersion) &&
                      has("bundle", fingerprint) && index.contains("files") && index["files"].is_object();
  if (!usable) {
    spdlog::info("{}: not usable with this bundle; embedding every image again", path.string());
    return nlohmann::json::object();
  }
  return index["files"];
}

std::optional<std::vector<float>> cached_embedding(const nlohmann::json& files, const FileKey& file, int64_t dim) {
  const auto it = files.find(file.path);
  if (it == files.end() || !it->is_object()) return std::nullopt;
  // The index is outside input: a field of the wrong type makes the entry stale, not an error.
  const auto& entry = *it;
  const bool current = entry.contains("size") && entry["size"].is_number_unsigned() && entry["size"] == file.size &&
                       entry.contains("mtime_ns") && entry["mtime_ns"].is_number_integer() &&
                       entry["mtime_ns"] == file.mtime_ns && entry.contains("embedding") &&
                       entry["embedding"].is_string();
  if (!current) return std::nullopt;
  auto embedding = floats_from_base64(entry["embedding"].get<std::string>());
  if (!embedding || static_cast<int64_t>(embedding->size()) != dim) return std::nullopt;
  return embedding;
}

std::vector<std::pair<FileKey, std::vector<float>>> indexed_entries(const nlohmann::json& files, int64_t dim) {
  std::vector<std::pair<FileKey, std::vector<float>>> entries;
  if (!files.is_object()) return entries;
  for (const auto& [path, entry] : files.items()) {
    if (!entry.is_object() || !entry.contains("size") || !entry["size"].is_number_unsigned() ||
        !entry.contains("mtime_ns") || !entry["mtime_ns"].is_number_integer()) {
      continue;
    }
    const FileKey file{path, entry["size"].get<uint64_t>(), entry["mtime_ns"].get<int64_t>()};
    if (auto embedding = cached_embedding(files, file, dim)) entries.emplace_back(file, std::move(*embedding));
  }
  return entries;
}

}  // namespace vqclip
