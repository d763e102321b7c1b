#pragma once
// The folders vqclip's files are found relative to: that of the library's
// own shared object (an installed or build-tree libvqclip.so) and that of the
// running executable, so that a program using the installed library finds the
// bundled model and the sentencepiece module wherever it was built.
#include <filesystem>
#include <vector>

namespace vqclip {

// The folder of the shared object holding this code (empty if unknown).
std::filesystem::path library_dir();
// The folder of the running executable (empty if unknown).
std::filesystem::path executable_dir();

// `relative_to_library` under library_dir() and `relative_to_executable` under
// executable_dir(), normalised, duplicates dropped (a build tree has both in one place).
std::vector<std::filesystem::path> install_candidates(const std::filesystem::path& relative_to_library,
                                                      const std::filesystem::path& relative_to_executable);

}  // namespace vqclip
