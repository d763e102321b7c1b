// Search over a folder: the index brought up to date (only new and changed files
// embedded), then every indexed embedding compared with the query.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "tools/image_files.hpp"
#include "tools/image_index.hpp"
#include "tools/index_file.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// The image files under `dir`. An entry that cannot be examined (a symbolic-link
// loop, a file gone meanwhile, no permission) is skipped with a warning and counted.
std::vector<FileKey> list_images(const std::filesystem::path& dir, bool recursive, size_t& skipped) {
  std::vector<FileKey> files;
  const auto add = [&](const std::filesystem::directory_entry& entry) {
    std::error_code error;
    const bool regular = entry.is_regular_file(error);
    if (!error && (!regular || !has_image_extension(entry.path()))) return;
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
  for_each_entry(dir, recursive, add);
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

void require_directory(const std::filesystem::path& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    throw InputError(dir.string() + ": " + (error ? "cannot be read (" + error.message() + ")" : "not a directory"));
  }
}

std::filesystem::path index_file_of(const std::filesystem::path& dir, const IndexOptions& options) {
  return options.index_file.empty() ? dir / kSearchIndexName : options.index_file;
}

ImageIndex open_index(Models& models, const std::filesystem::path& file, bool writable) {
  const auto& clip = models.require_clip();
  try {
    return ImageIndex(file, clip_index_key(models.manifest), models.manifest.name, clip.spec.embed_dim, writable);
  } catch (const OutputError& e) {
    throw OutputError(std::string(e.what()) + " (--index FILE puts the index elsewhere)");
  }
}

// The JSON index of earlier versions was keyed by the whole bundle's hashes.
std::string old_index_fingerprint(const Manifest& manifest) {
  std::string fingerprint = manifest.name;
  for (const auto& [file, hash] : manifest.file_hashes) fingerprint += "|" + file + ":" + hash;
  return fingerprint;
}

// Takes over the entries of dir's old JSON index that this bundle made, then
// removes the JSON file (its entries of other bundles cannot be used anyway).
size_t migrate_old_index(Models& models, const std::filesystem::path& dir, ImageIndex& index) {
  const auto old_file = dir / kOldSearchIndexName;
  std::error_code error;
  if (!std::filesystem::exists(old_file, error)) return 0;
  const int64_t dim = models.require_clip().spec.embed_dim;
  const auto entries = indexed_entries(read_index(old_file, old_index_fingerprint(models.manifest)), dim);
  std::vector<FileKey> files;
  std::vector<float> values;
  for (const auto& [file, embedding] : entries) {
    files.push_back(file);
    values.insert(values.end(), embedding.begin(), embedding.end());
  }
  index.put(files, torch::from_blob(values.data(), {static_cast<int64_t>(files.size()), dim}));
  std::filesystem::remove(old_file, error);
  spdlog::info("{}: {} embeddings moved into {}; the old index is removed", old_file.string(), files.size(),
               index.file().string());
  return files.size();
}

// Whether an indexed entry that the listing lacks still names a file: in a
// folder searched without --recursive, files in subfolders are not listed.
bool still_on_disk(const std::filesystem::path& dir, const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(dir / path, error);
}

// Embeds `files` in batches into `index`, one transaction a batch.
void embed_files(ClipModel& clip, const std::filesystem::path& dir, const std::vector<FileKey>& files,
                 const IndexOptions& options, ImageIndex& index, IndexUpdate& update) {
  std::vector<std::filesystem::path> paths;
  for (const auto& file : files) paths.push_back(dir / file.path);
  const auto outcome = embed_image_batches(
      clip, paths, options.batch,
      [&](const EmbeddedBatch& batch) {
        std::vector<FileKey> readable;
        for (const size_t i : batch.indices) readable.push_back(files[i]);
        index.put(readable, batch.embeddings);
        update.embedded += readable.size();
        if (options.on_progress) options.on_progress(batch.done, files.size());
      },
      options.should_continue);
  update.skipped += outcome.skipped;
  update.stopped = outcome.stopped;
}

IndexUpdate update_open_index(Models& models, const std::filesystem::path& dir, const IndexOptions& options,
                              ImageIndex& index, std::vector<FileKey>& listed) {
  IndexUpdate update;
  update.migrated = migrate_old_index(models, dir, index);
  listed = list_images(dir, options.recursive, update.skipped);
  auto known = index.known_files();
  std::vector<FileKey> to_embed;
  for (const auto& file : listed) {
    const auto found = known.find(file.path);
    if (found != known.end() && found->second.size == file.size && found->second.mtime_ns == file.mtime_ns) {
      ++update.cached;
    } else {
      to_embed.push_back(file);
    }
    if (found != known.end()) known.erase(found);
  }
  std::vector<std::string> gone;
  for (const auto& [path, file] : known) {
    if (!still_on_disk(dir, path)) gone.push_back(path);
  }
  index.remove(gone);
  update.removed = gone.size();
  embed_files(models.require_clip(), dir, to_embed, options, index, update);
  return update;
}

// Drops the entries the listing lacks: without --recursive, files in subfolders.
void keep_listed(IndexedEmbeddings& indexed, const std::vector<FileKey>& listed) {
  std::set<std::string> in_scope;
  for (const auto& file : listed) in_scope.insert(file.path);
  std::vector<int64_t> rows;
  std::vector<std::string> paths;
  for (size_t i = 0; i < indexed.paths.size(); ++i) {
    if (in_scope.count(indexed.paths[i])) {
      rows.push_back(static_cast<int64_t>(i));
      paths.push_back(indexed.paths[i]);
    }
  }
  if (paths.size() == indexed.paths.size()) return;
  indexed.matrix = indexed.matrix.index_select(0, torch::tensor(rows));
  indexed.paths = std::move(paths);
}

// The best hits by cosine with the query (unit vectors both), top K and threshold applied.
std::vector<SearchHit> rank(const IndexedEmbeddings& indexed, const torch::Tensor& query, const SearchOptions& options) {
  std::vector<SearchHit> hits;
  if (indexed.paths.empty()) return hits;
  const auto scores = indexed.matrix.matmul(query);
  // Stable, over paths in sorted order: equal scores stay in path order.
  const auto order = std::get<1>(scores.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  const auto* score = scores.data_ptr<float>();
  const auto* rank = order.data_ptr<int64_t>();
  const size_t keep = options.top_k > 0 ? std::min(options.top_k, indexed.paths.size()) : indexed.paths.size();
  for (size_t i = 0; i < keep; ++i) {
    const double similarity = score[rank[i]];
    if (options.threshold && similarity < *options.threshold) break;
    hits.push_back({indexed.paths[static_cast<size_t>(rank[i])], similarity});
  }
  return hits;
}

}  // namespace

IndexUpdate update_index(Models& models, const std::filesystem::path& dir, const IndexOptions& options) {
  require_directory(dir);
  auto index = open_index(models, index_file_of(dir, options), true);
  std::vector<FileKey> listed;
  return update_open_index(models, dir, options, index, listed);
}

SearchResult search_images(Models& models, const std::filesystem::path& dir, const SearchQuery& query,
                           const SearchOptions& options) {
  require_directory(dir);
  const auto query_embedding = embed_query(models.require_clip(), query);  // a bad query fails before any indexing
  auto index = open_index(models, index_file_of(dir, options.index), !options.index_only);
  SearchResult result;
  std::vector<FileKey> listed;
  if (!options.index_only) result.update = update_open_index(models, dir, options.index, index, listed);
  if (result.update.stopped) return result;
  const auto read_start = std::chrono::steady_clock::now();
  auto indexed = index.embeddings();
  const auto read_end = std::chrono::steady_clock::now();
  if (!options.index_only) keep_listed(indexed, listed);
  result.searched = indexed.paths.size();
  result.hits = rank(indexed, query_embedding, options);
  const auto milliseconds = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };
  spdlog::debug("search: {} embeddings read from {} in {:.1f} ms, ranked in {:.1f} ms", indexed.paths.size(),
                index.file().string(), milliseconds(read_start, read_end),
                milliseconds(read_end, std::chrono::steady_clock::now()));
  return result;
}

}  // namespace vqclip
