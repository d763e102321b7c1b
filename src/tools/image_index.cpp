#include "tools/image_index.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <limits>

#include <nlohmann/json.hpp>

#include "tools/sqlite_db.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// Another process may hold the write lock for one batch's transaction; a
// minute covers the slowest batch by far.
constexpr int kBusyTimeoutMs = 60000;

size_t embedding_bytes(int64_t dim) { return static_cast<size_t>(dim) * sizeof(float); }

}  // namespace

std::string clip_index_key(const Manifest& manifest) {
  const auto& spec = manifest.clip;
  return nlohmann::json{{"files", clip_file_hashes(manifest)},
                        {"input_resolution", spec.input_resolution},
                        {"mean", spec.mean},
                        {"std", spec.std}}
      .dump();
}

ImageIndex::ImageIndex(const std::filesystem::path& file, const std::string& clip_key, const std::string& clip_name,
                       int64_t dim, bool writable)
    : dim_(dim) {
  if (!writable && !std::filesystem::exists(file)) {
    throw InputError(file.string() + ": no index there (index the folder first: vqclip index DIR)");
  }
  db_ = std::make_unique<SqliteDb>(file, writable ? SqliteDb::Mode::kReadWriteCreate : SqliteDb::Mode::kReadOnly,
                                   kBusyTimeoutMs);
  const auto schema = db_->scalar("PRAGMA user_version");
  if (schema > kImageIndexSchema) {
    throw InputError(file.string() + ": an index of schema " + std::to_string(schema) +
                     ", made by a newer vqclip (this one reads schema " + std::to_string(kImageIndexSchema) + ")");
  }
  if (schema == 0 && !writable) throw InputError(file.string() + ": not a vqclip index");
  if (writable) {
    // A crash leaves a consistent file; a power cut may lose the last batches, which are embedded again.
    db_->exec("PRAGMA synchronous=NORMAL");
    if (schema == 0) create_schema();
  }
  find_or_add_clip(clip_key, clip_name, writable);
}

ImageIndex::~ImageIndex() = default;

const std::filesystem::path& ImageIndex::file() const { return db_->file(); }

void ImageIndex::create_schema() {
  // WAL lets searches read while an indexer writes; the mode is kept in the file.
  db_->exec("PRAGMA journal_mode=WAL");
  SqliteTransaction transaction(*db_);
  if (db_->scalar("PRAGMA user_version") == 0) {  // another process may have created it meanwhile
    // Tables that are not ours mean the file is something else: refuse rather than add to it.
    if (db_->scalar("SELECT count(*) FROM sqlite_master") != 0) {
      throw InputError(db_->file().string() + ": a database that is not a vqclip index");
    }
    db_->exec(
        "CREATE TABLE clips(id INTEGER PRIMARY KEY, hashes TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
        " dim INTEGER NOT NULL);"
        "CREATE TABLE images(clip_id INTEGER NOT NULL REFERENCES clips(id), path TEXT NOT NULL,"
        " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, embedding BLOB NOT NULL, UNIQUE(clip_id, path));"
        "PRAGMA user_version=" +
        std::to_string(kImageIndexSchema));
  }
  transaction.commit();
}

void ImageIndex::find_or_add_clip(const std::string& hashes, const std::string& name, bool writable) {
  SqliteStatement find(*db_, "SELECT id FROM clips WHERE hashes = ?1");
  find.bind(1, hashes);
  if (find.step()) {
    clip_id_ = find.column_int(0);
    return;
  }
  if (!writable) return;  // nothing indexed by this CLIP yet
  SqliteTransaction transaction(*db_);
  SqliteStatement add(*db_, "INSERT INTO clips(hashes, name, dim) VALUES (?1, ?2, ?3) ON CONFLICT(hashes) DO NOTHING");
  add.bind(1, hashes).bind(2, name).bind(3, dim_).run();
  find.reset();
  find.bind(1, hashes);
  if (!find.step()) throw OutputError(db_->file().string() + ": the CLIP's entry was not written");
  clip_id_ = find.column_int(0);
  transaction.commit();
}

std::map<std::string, FileKey> ImageIndex::known_files() {
  std::map<std::string, FileKey> files;
  SqliteStatement rows(*db_, "SELECT path, size, mtime_ns, length(embedding) FROM images WHERE clip_id = ?1");
  rows.bind(1, clip_id_);
  while (rows.step()) {
    auto path = rows.column_text(0);
    const bool well_formed = static_cast<size_t>(rows.column_int(3)) == embedding_bytes(dim_);
    const auto size = well_formed ? static_cast<uint64_t>(rows.column_int(1)) : std::numeric_limits<uint64_t>::max();
    files.emplace(path, FileKey{path, size, rows.column_int(2)});
  }
  return files;
}

void ImageIndex::put(const std::vector<FileKey>& files, const torch::Tensor& embeddings) {
  if (files.empty()) return;
  const auto rows = embeddings.to(torch::kCPU, torch::kFloat).contiguous();
  TORCH_CHECK(rows.dim() == 2 && rows.size(0) == static_cast<int64_t>(files.size()) && rows.size(1) == dim_,
              "ImageIndex::put: embeddings ", rows.sizes(), " for ", files.size(), " files of dim ", dim_);
  SqliteTransaction transaction(*db_);
  SqliteStatement upsert(*db_,
                         "INSERT INTO images(clip_id, path, size, mtime_ns, embedding) VALUES (?1, ?2, ?3, ?4, ?5)"
                         " ON CONFLICT(clip_id, path) DO UPDATE SET size = excluded.size,"
                         " mtime_ns = excluded.mtime_ns, embedding = excluded.embedding");
  const float* data = rows.data_ptr<float>();
  for (size_t i = 0; i < files.size(); ++i) {
    upsert.bind(1, clip_id_).bind(2, files[i].path).bind(3, static_cast<int64_t>(files[i].size));
    upsert.bind(4, files[i].mtime_ns).bind_blob(5, data + i * static_cast<size_t>(dim_), embedding_bytes(dim_));
    upsert.run();
  }
  transaction.commit();
}

void ImageIndex::remove(const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  SqliteTransaction transaction(*db_);
  SqliteStatement erase(*db_, "DELETE FROM images WHERE clip_id = ?1 AND path = ?2");
  for (const auto& path : paths) erase.bind(1, clip_id_).bind(2, path).run();
  transaction.commit();
}

IndexedEmbeddings ImageIndex::embeddings() {
  std::vector<std::string> paths;
  std::vector<float> values;
  // "+clip_id" keeps SQLite from walking the (clip_id, path) index and looking
  // each row up in the table: one pass over the table is several times faster
  // for a query that reads them all. The order comes from sorting here.
  SqliteStatement rows(*db_, "SELECT path, embedding FROM images WHERE +clip_id = ?1");
  rows.bind(1, clip_id_);
  while (rows.step()) {
    const auto [data, bytes] = rows.column_blob(1);
    if (bytes != embedding_bytes(dim_)) continue;  // damaged: the next update embeds it again
    paths.push_back(rows.column_text(0));
    values.resize(values.size() + static_cast<size_t>(dim_));
    std::memcpy(values.data() + values.size() - static_cast<size_t>(dim_), data, bytes);  // blobs need not be aligned
  }
  std::vector<int64_t> order(paths.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&paths](int64_t a, int64_t b) { return paths[a] < paths[b]; });
  IndexedEmbeddings result;
  result.paths.reserve(paths.size());
  for (const auto i : order) result.paths.push_back(std::move(paths[static_cast<size_t>(i)]));
  const auto unsorted = torch::from_blob(values.data(), {static_cast<int64_t>(order.size()), dim_});
  result.matrix = unsorted.index_select(0, torch::tensor(order, torch::kLong));
  return result;
}

}  // namespace vqclip
