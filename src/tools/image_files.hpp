#pragma once
// Walking folders for the CLIP tools: search's index and embed's inputs list
// the picture files of a folder the same way.
#include <filesystem>
#include <functional>

namespace vqclip {

// Calls `visit` for every entry of `dir` (and its subfolders when `recursive`;
// folders it may not enter are passed over). Throws InputError naming `dir`
// when it cannot be listed.
void for_each_entry(const std::filesystem::path& dir, bool recursive,
                    const std::function<void(const std::filesystem::directory_entry&)>& visit);

}  // namespace vqclip
