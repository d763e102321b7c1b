#pragma once
// The sha256 of bundle files, remembered between processes. Hashing a
// full-size bundle's files takes 0.4 s from the page cache and seconds from
// disk, on every command; a file whose identity has not changed since it was
// hashed need not be read again.
//
// A file's identity is its device, inode, size, modification and status-change
// times (nanoseconds). Writing to a file, replacing it or renaming another over
// it changes the status-change time, which no program can set back. A file
// changed within kSettleTime of its last hashing is not remembered ("racy git":
// two writes in one clock tick would leave the same times).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace vqclip {

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;  // status change (ctime)

  bool operator==(const FileIdentity& other) const;
  bool operator!=(const FileIdentity& other) const { return !(*this == other); }
};

// Nothing when the file cannot be examined.
std::optional<FileIdentity> identity_of(const std::filesystem::path& file);

constexpr std::chrono::seconds kSettleTime{2};

// Remembered digests live in `records_dir`, one small JSON file per file path.
class RememberedHashes {
 public:
  explicit RememberedHashes(std::filesystem::path records_dir) : dir_(std::move(records_dir)) {}

  // The digest remembered for `file`, when its identity is still `now_identity`.
  std::optional<std::string> find(const std::filesystem::path& file, const FileIdentity& now_identity) const;

  // Keeps `digest` for `file`, hashed with identity `hashed`, unless the file
  // changed less than kSettleTime before `now`. Failures to write cost a debug line.
  void remember(const std::filesystem::path& file, const FileIdentity& hashed, const std::string& digest,
                std::chrono::system_clock::time_point now) const;

 private:
  std::filesystem::path record_of(const std::filesystem::path& file) const;
  std::filesystem::path dir_;
};

// sha256_file(file), or the remembered digest (in cache_dir()/bundle-hashes)
// when the file is unchanged since it was hashed.
std::string sha256_file_remembered(const std::filesystem::path& file);

}  // namespace vqclip
