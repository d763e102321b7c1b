#pragma once
// Outputs are never written in place: a crash must not leave half a file.
#include <filesystem>
#include <string_view>

namespace vqclip {

// Writes bytes to a temporary file in the same directory, flushes it to disk,
// then renames it over `path`. Creates missing parent directories.
// Throws OutputError naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Checks, before any expensive work, that `path` could be written: creates the
// parent directory and creates/removes a probe file there. Throws OutputError.
void check_writable(const std::filesystem::path& path);

}  // namespace vqclip
