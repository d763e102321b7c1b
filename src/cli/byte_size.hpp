#pragma once
// Sizes of memory as people type them: 8G, 512M, 1.5GiB, 1048576.
#include <cstdint>
#include <optional>
#include <string_view>

namespace vqclip::cli {

// A number (a fraction allowed) with an optional unit, K/M/G/T (with or
// without "iB" or "B"), each a power of 1024; bytes without one. Nothing for
// anything else, or for more than 2^62 bytes.
std::optional<int64_t> parse_byte_size(std::string_view text);

}  // namespace vqclip::cli
