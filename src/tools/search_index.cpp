// Text search over a folder, with an embedding index so that a second search
// only embeds new or changed files.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "tools/float_codec.hpp"
#include "tools/index_file.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// The formats read_image decodes.
const std::set<std::string> kImageExtensions{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"};

// The index is only valid for the exact bundle that made it.
std::string bundle_fingerprint(const Manifest& manifest) {
  std::string fingerprint = manifest.name;
  for (const auto& [file, hash] : manifest.file_hashes) fingerprint += "|" + file + ":" + hash;
  return fingerprint;
}

// The image files under `dir`. An entry that cannot be examined (a symbolic-link
// loop, a file gone meanwhile, no permission) is skipped with a warning and counted.
std::vector<FileKey> list_images(const std::filesystem::path& dir, bool recursive, size_t& skipped) {
  std::vector<FileKey> files;
  const auto add = [&](const std::filesystem::directory_entry& entry) {
    std::error_code error;
    const bool regular = entry.is_regular_file(error);
    if (!error && !regular) return;
    auto extension = entry.path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
    if (!error && !kImageExtensions.count(extension)) return;
    const auto size = error ? 0 : entry.file_size(error);
    const auto mtime = error ? std::filesystem::file_time_type() : entry.last_write_time(error);
    if (error) {
      spdlog::warn("skipped: {}: {}", entry.path().string(), error.message());
      ++skipped;
      return;
    }
    files.push_back({std::filesystem::relative(entry.path(), dir).generic_string(), size,
                     std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count()});
  };
  std::error_code error;
  if (recursive) {
    const auto options = std::filesystem::directory_options::skip_permission_denied;
    for (std::filesystem::recursive_directory_iterator it(dir, options, error), end; !error && it != end;
         it.increment(error)) {
      add(*it);
    }
  } else {
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) add(*it);
  }
  if (error) throw InputError(dir.string() + ": cannot list (" + error.message() + ")");
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

class IndexBuilder {
 public:
  void add(const FileKey& file, const float* embedding, int64_t dim) {
    files_[file.path] = {{"size", file.size},
                         {"mtime_ns", file.mtime_ns},
                         {"embedding", floats_to_base64(embedding, static_cast<size_t>(dim))}};
    paths_.push_back(file.path);
    embeddings_.insert(embeddings_.end(), embedding, embedding + dim);
  }

  void save(const std::filesystem::path& path, const std::string& fingerprint) const {
    const nlohmann::json index{{"format", kIndexFormat}, {"version", kIndexVersion}, {"bundle", fingerprint},
                               {"files", files_}};
    write_file_atomically(path, index.dump());
  }

  size_t size() const { return paths_.size(); }
  const std::vector<std::string>& paths() const { return paths_; }
  torch::Tensor embeddings(int64_t dim) const {
    return torch::tensor(embeddings_).view({static_cast<int64_t>(paths_.size()), dim});
  }

 private:
  nlohmann::json files_ = nlohmann::json::object();
  std::vector<std::string> paths_;
  std::vector<float> embeddings_;
};

// Embeds `files` in batches into `index`; unreadable ones are counted as skipped.
void embed_new_files(ClipModel& clip, const std::filesystem::path& dir, const std::vector<FileKey>& files,
                     IndexBuilder& index, SearchResult& result) {
  const int64_t dim = clip.spec.embed_dim;
  size_t next_report = files.size() / 10;
  for (size_t start = 0; start < files.size(); start += kImageBatch) {
    std::vector<const FileKey*> readable;
    std::vector<torch::Tensor> inputs;
    for (size_t i = start; i < std::min(files.size(), start + kImageBatch); ++i) {
      try {
        inputs.push_back(preprocess_image_file(clip, dir / files[i].path));
        readable.push_back(&files[i]);
      } catch (const InputError& e) {
        spdlog::warn("skipped: {}", e.what());
        ++result.skipped;
      }
    }
    if (!inputs.empty()) {
      const auto embeddings = embed_clip_inputs(clip, torch::cat(inputs)).contiguous();
      for (size_t k = 0; k < readable.size(); ++k) {
        index.add(*readable[k], embeddings[static_cast<int64_t>(k)].data_ptr<float>(), dim);
      }
      result.embedded += readable.size();
    }
    const size_t done = std::min(files.size(), start + kImageBatch);
    if (done >= next_report && done < files.size()) {
      spdlog::info("indexing {}: {}/{} images", dir.string(), done, files.size());
      next_report = done + files.size() / 10;
    }
  }
}

}  // namespace

SearchResult search_images(Models& models, const std::filesystem::path& dir, const std::string& query, bool recursive,
                           size_t top_k) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    throw InputError(dir.string() + ": " + (error ? "cannot be read (" + error.message() + ")" : "not a directory"));
  }
  auto& clip = models.require_clip();
  const int64_t dim = clip.spec.embed_dim;
  const auto fingerprint = bundle_fingerprint(models.manifest);
  const auto index_path = dir / kSearchIndexName;
  const auto cached = read_index(index_path, fingerprint);

  SearchResult result;
  IndexBuilder index;
  std::vector<FileKey> to_embed;
  for (const auto& file : list_images(dir, recursive, result.skipped)) {
    if (const auto embedding = cached_embedding(cached, file, dim)) {
      index.add(file, embedding->data(), dim);
      ++result.cached;
    } else {
      to_embed.push_back(file);
    }
  }
  embed_new_files(clip, dir, to_embed, index, result);
  // Entries of deleted files are dropped by rewriting the index without them.
  if (result.embedded > 0 || index.size() != cached.size()) index.save(index_path, fingerprint);

  if (index.size() == 0) return result;
  const auto scores = index.embeddings(dim).matmul(embed_texts_normalised(clip, {query})[0]);
  for (size_t i = 0; i < index.size(); ++i) {
    result.hits.push_back({index.paths()[i], scores[static_cast<int64_t>(i)].item<double>()});
  }
  std::stable_sort(result.hits.begin(), result.hits.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  if (top_k > 0 && result.hits.size() > top_k) result.hits.resize(top_k);
  return result;
}

}  // namespace vqclip
