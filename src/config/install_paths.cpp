#include "config/install_paths.hpp"

#include <dlfcn.h>

#include <algorithm>

namespace vqclip {

std::filesystem::path library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&library_dir), &info) == 0 || !info.dli_fname) return {};
  std::error_code error;
  const auto path = std::filesystem::canonical(info.dli_fname, error);
  return error ? std::filesystem::path() : path.parent_path();
}

std::filesystem::path executable_dir() {
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : exe.parent_path();
}

std::vector<std::filesystem::path> install_candidates(const std::filesystem::path& relative_to_library,
                                                      const std::filesystem::path& relative_to_executable) {
  std::vector<std::filesystem::path> candidates;
  const auto add = [&candidates](const std::filesystem::path& dir, const std::filesystem::path& relative) {
    if (dir.empty()) return;
    const auto path = (dir / relative).lexically_normal();
    if (std::find(candidates.begin(), candidates.end(), path) == candidates.end()) candidates.push_back(path);
  };
  add(library_dir(), relative_to_library);
  add(executable_dir(), relative_to_executable);
  return candidates;
}

}  // namespace vqclip
