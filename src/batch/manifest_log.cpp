#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "batch/batch.hpp"
#include "io/bounded_json.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

// Whether the file's last byte is not a newline: a crash cut the last append short.
bool ends_mid_line(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size == 0) return false;
  char last = '\n';
  return ::pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n';
}

}  // namespace

void append_manifest_line(const std::filesystem::path& path, const nlohmann::json& line) {
  std::string text = line.dump() + "\n";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);  // read: the last byte
  if (fd < 0) throw OutputError(path.string() + ": cannot open for appending (" + std::strerror(errno) + ")");
  // The lock keeps lines whole even where O_APPEND alone is not atomic (NFS).
  ::flock(fd, LOCK_EX);
  if (ends_mid_line(fd)) text.insert(0, "\n");  // the torn line stays alone, and this one parses
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  ::fsync(fd);
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    throw OutputError(path.string() + ": cannot append (" + std::strerror(write_errno) + ")");
  }
}

std::vector<nlohmann::json> read_manifest_lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string text;
  size_t unreadable = 0;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    auto parsed = parse_bounded_json_or_discarded(text);
    if (parsed.is_object()) {
      lines.push_back(std::move(parsed));
    } else {
      ++unreadable;
    }
  }
  if (unreadable > 0) {
    spdlog::warn("{}: {} line(s) are not JSON objects (an append cut short?) and were skipped", path.string(),
                 unreadable);
  }
  return lines;
}

}  // namespace vqclip
