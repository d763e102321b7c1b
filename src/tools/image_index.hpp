#pragma once
// The search index: one SQLite file holding image embeddings, keyed by the CLIP
// that made them (its files' hashes) and by each file's path, size and mtime.
// Written in WAL mode, one transaction per batch, so searches read while an
// indexer writes and a killed indexer loses at most the batch in flight.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/index_file.hpp"

namespace vqclip {

class SqliteDb;
struct Manifest;

// What makes embeddings of the same file equal: the CLIP's files' hashes and its
// preprocessing. The VQGAN's hashes are not part of it.
std::string clip_index_key(const Manifest& manifest);

// The schema this build writes; an index with a higher user_version is refused.
inline constexpr int kImageIndexSchema = 1;

struct IndexedEmbeddings {
  std::vector<std::string> paths;  // sorted
  torch::Tensor matrix;            // [paths, dim], float32
};

class ImageIndex {
 public:
  // Opens (creating when `writable`) the index `file` for the CLIP identified
  // by `clip_key` (its files' hashes and preprocessing: clip_index_key()). A read-only open of a missing file, a file that is
  // not an index, or an index of a newer schema throws InputError naming it.
  ImageIndex(const std::filesystem::path& file, const std::string& clip_key, const std::string& clip_name, int64_t dim,
             bool writable);
  ~ImageIndex();
  ImageIndex(const ImageIndex&) = delete;
  ImageIndex& operator=(const ImageIndex&) = delete;

  // Every file this CLIP has an embedding of, by path. An entry whose embedding
  // has the wrong length gets size UINT64_MAX, so it never looks current.
  std::map<std::string, FileKey> known_files();
  // Adds or replaces the embeddings [files, dim] of `files` in one transaction.
  void put(const std::vector<FileKey>& files, const torch::Tensor& embeddings);
  // Removes these paths' entries in one transaction.
  void remove(const std::vector<std::string>& paths);
  // This CLIP's embeddings of well-formed entries, in path order.
  IndexedEmbeddings embeddings();
  const std::filesystem::path& file() const;

 private:
  void create_schema();
  void find_or_add_clip(const std::string& hashes, const std::string& name, bool writable);

  std::unique_ptr<SqliteDb> db_;
  int64_t dim_;
  int64_t clip_id_ = -1;  // -1: this CLIP has no entries (a read-only open)
};

}  // namespace vqclip
