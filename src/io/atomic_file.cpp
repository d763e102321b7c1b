#include "vqclip/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

std::string reason() { return std::strerror(errno); }

void create_parent(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (parent.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) throw OutputError(path.string() + ": cannot create directory " + parent.string() + " (" + error.message() + ")");
}

// A name no other writer uses: hidden, same directory (so rename is atomic).
std::filesystem::path temporary_name(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  auto name = "." + path.filename().string() + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  return path.parent_path() / name;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  create_parent(path);
  const auto temporary = temporary_name(path);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path.string() + ": cannot write (" + reason() + ")");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = reason();
      ::close(fd);
      ::unlink(temporary.c_str());
      throw OutputError(path.string() + ": cannot write (" + why + ")");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = reason();
    ::unlink(temporary.c_str());
    throw OutputError(path.string() + ": cannot write (" + why + ")");
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = reason();
    ::unlink(temporary.c_str());
    throw OutputError(path.string() + ": cannot replace (" + why + ")");
  }
}

void check_writable(const std::filesystem::path& path) {
  create_parent(path);
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw OutputError(path.string() + ": is a directory");
  const auto probe = temporary_name(path);
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path.string() + ": cannot write there (" + reason() + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace vqclip
