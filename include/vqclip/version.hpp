#pragma once

namespace vqclip {
// Both are stamped in at configure time (src/config/version.cpp.in).
const char* version_string();
const char* git_commit();
}  // namespace vqclip
