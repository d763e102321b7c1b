#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "batch/batch.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {

void append_manifest_line(const std::filesystem::path& path, const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path.string() + ": cannot open for appending (" + std::strerror(errno) + ")");
  // The lock keeps lines whole even where O_APPEND alone is not atomic (NFS).
  ::flock(fd, LOCK_EX);
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
  while (std::getline(in, text)) {
    auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
  }
  return lines;
}

}  // namespace vqclip
