// Text search over a folder, with an embedding index so that a second search
// only embeds new or changed files.
#include <spdlog/spdlog.h>

#include <fstream>
#include <set>

#include "vqclip/atomic_file.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

const std::set<std::string> kImageExtensions{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".pnm", ".ppm", ".pgm"};

// The index is only valid for the exact bundle that made it.
std::string bundle_fingerprint(const Bundle& bundle) {
  std::string fingerprint = bundle.manifest.name;
  for (const auto& [file, hash] : bundle.manifest.file_hashes) fingerprint += "|" + file + ":" + hash;
  return fingerprint;
}

struct FileKey {
  std::string path;  // relative, generic form
  uint64_t size;
  int64_t mtime_ns;
};

std::vector<FileKey> list_images(const std::filesystem::path& dir, bool recursive) {
  std::vector<FileKey> files;
  const auto add = [&](const std::filesystem::directory_entry& entry) {
    if (!entry.is_regular_file()) return;
    auto extension = entry.path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
    if (!kImageExtensions.count(extension)) return;
    const auto mtime = entry.last_write_time().time_since_epoch();
    files.push_back({std::filesystem::relative(entry.path(), dir).generic_string(), entry.file_size(),
                     std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count()});
  };
  std::error_code error;
  if (recursive) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) add(entry);
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) add(entry);
  }
  if (error) throw InputError(dir.string() + ": cannot list (" + error.message() + ")");
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

nlohmann::json read_index(const std::filesystem::path& path, const std::string& fingerprint) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  auto index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || index.value("bundle", "") != fingerprint || !index.contains("files")) {
    return nlohmann::json::object();  // stale or damaged: rebuilt from scratch
  }
  return index["files"];
}

}  // namespace

SearchResult search_images(Bundle& bundle, const std::filesystem::path& dir, const std::string& query, bool recursive,
                           size_t top_k) {
  if (!std::filesystem::is_directory(dir)) throw InputError(dir.string() + ": not a directory");
  const auto fingerprint = bundle_fingerprint(bundle);
  const auto index_path = dir / kSearchIndexName;
  const auto cached = read_index(index_path, fingerprint);

  SearchResult result;
  nlohmann::json files = nlohmann::json::object();
  std::vector<FileKey> to_embed;
  for (const auto& file : list_images(dir, recursive)) {
    const auto it = cached.find(file.path);
    if (it != cached.end() && it->value("size", uint64_t{0}) == file.size && it->value("mtime_ns", int64_t{0}) == file.mtime_ns) {
      files[file.path] = *it;
      ++result.cached;
    } else {
      to_embed.push_back(file);
    }
  }
  size_t done = 0;
  for (const auto& file : to_embed) {
    try {
      const auto embedding = embed_image_files(bundle, {dir / file.path})[0];
      files[file.path] = {{"size", file.size},
                          {"mtime_ns", file.mtime_ns},
                          {"embedding", std::vector<float>(embedding.data_ptr<float>(),
                                                           embedding.data_ptr<float>() + embedding.numel())}};
      ++result.embedded;
    } catch (const InputError& e) {
      spdlog::warn("skipped: {}", e.what());
      ++result.skipped;
    }
    if (++done % std::max<size_t>(1, to_embed.size() / 10) == 0) {
      spdlog::info("indexing {}/{}", done, to_embed.size());
    }
  }
  if (result.embedded > 0 || files.size() != cached.size()) {
    write_file_atomically(index_path, nlohmann::json{{"bundle", fingerprint}, {"files", files}}.dump());
  }

  const auto text = embed_texts_normalised(bundle, {query})[0];
  for (const auto& [path, entry] : files.items()) {
    const auto values = entry.at("embedding").get<std::vector<float>>();
    const auto embedding = torch::tensor(values);
    result.hits.push_back({path, torch::dot(embedding, text).item<double>()});
  }
  std::stable_sort(result.hits.begin(), result.hits.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  if (top_k > 0 && result.hits.size() > top_k) result.hits.resize(top_k);
  return result;
}

}  // namespace vqclip
