#pragma once
// Debian's stb_image (2.27) writes past its Huffman tables when a JPEG's DHT
// segment declares more than 256 codes in one table (fuzz_image found it; stb
// 2.28 checks this itself). Such a file is refused before stb reads any of it.
#include <optional>
#include <string>
#include <string_view>

namespace vqclip {

// What is wrong with the Huffman tables of `bytes` if they are a JPEG with a
// table of more than 256 codes, walking its segments as a decoder does (by
// length, and through entropy-coded data to the next marker); nothing otherwise
// (also for anything that is not a JPEG).
std::optional<std::string> jpeg_huffman_table_problem(std::string_view bytes);

}  // namespace vqclip
