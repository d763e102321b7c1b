#include "model/remembered_hashes.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "config/cache_dir.hpp"
#include "model/sha256.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

constexpr int kRecordVersion = 1;

int64_t nanoseconds(const timespec& time) { return static_cast<int64_t>(time.tv_sec) * 1000000000 + time.tv_nsec; }

nlohmann::json identity_json(const FileIdentity& id) {
  return {id.device, id.inode, id.size, id.modified_ns, id.changed_ns};
}

std::filesystem::path absolute_path(const std::filesystem::path& file) {
  std::error_code error;
  const auto path = std::filesystem::absolute(file, error);
  return error ? file : path.lexically_normal();
}

}  // namespace

bool FileIdentity::operator==(const FileIdentity& other) const {
  return device == other.device && inode == other.inode && size == other.size && modified_ns == other.modified_ns &&
         changed_ns == other.changed_ns;
}

std::optional<FileIdentity> identity_of(const std::filesystem::path& file) {
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  return FileIdentity{static_cast<uint64_t>(status.st_dev), static_cast<uint64_t>(status.st_ino),
                      static_cast<uint64_t>(status.st_size), nanoseconds(status.st_mtim),
                      nanoseconds(status.st_ctim)};
}

std::filesystem::path RememberedHashes::record_of(const std::filesystem::path& file) const {
  const auto key = absolute_path(file).string();
  return dir_ / (sha256_hex(key.data(), key.size()) + ".json");
}

std::optional<std::string> RememberedHashes::find(const std::filesystem::path& file,
                                                  const FileIdentity& now_identity) const {
  std::ifstream in(record_of(file));
  if (!in) return std::nullopt;
  const auto record = nlohmann::json::parse(in, nullptr, false);
  if (!record.is_object() || record.value("version", 0) != kRecordVersion ||
      record.value("path", "") != absolute_path(file).string() || record.value("identity", nlohmann::json()) !=
      identity_json(now_identity)) {
    return std::nullopt;
  }
  const auto digest = record.value("sha256", "");
  if (digest.size() != 64) return std::nullopt;
  return digest;
}

void RememberedHashes::remember(const std::filesystem::path& file, const FileIdentity& hashed,
                                const std::string& digest, std::chrono::system_clock::time_point now) const {
  const auto settled_before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  (now - kSettleTime).time_since_epoch()).count();
  if (hashed.changed_ns >= settled_before || hashed.modified_ns >= settled_before) return;
  const nlohmann::json record{{"version", kRecordVersion},
                              {"path", absolute_path(file).string()},
                              {"identity", identity_json(hashed)},
                              {"sha256", digest}};
  try {
    write_file_atomically(record_of(file), record.dump());
  } catch (const OutputError& e) {
    spdlog::debug("sha256 of {} not remembered: {}", file.string(), e.what());
  }
}

std::string sha256_file_remembered(const std::filesystem::path& file) {
  const auto dir = cache_dir();
  const auto before = identity_of(file);
  if (!dir || !before) return sha256_file(file);
  const RememberedHashes records(*dir / "bundle-hashes");
  if (auto digest = records.find(file, *before)) return *digest;
  auto digest = sha256_file(file);
  // Changed while it was read: the digest may be of neither version; not kept.
  if (identity_of(file) == before) records.remember(file, *before, digest, std::chrono::system_clock::now());
  return digest;
}

}  // namespace vqclip
