// Fuzzes the search index file (.vqclip-index.json): read_index gives an
// object (empty when the file is unusable), and every entry's cached embedding
// is either nothing or exactly the dimension asked for, also as a migration
// takes them over.
#include <spdlog/spdlog.h>

#include "fuzz_support.hpp"
#include "tools/index_file.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // "not usable" is said for most inputs
  for (const int64_t dim : {2, 4}) {  // what a migration takes over
    for (const auto& [file, embedding] : vqclip::indexed_entries(files, dim)) {
      require(files.contains(file.path) && static_cast<int64_t>(embedding.size()) == dim);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = vqclip::fuzz::write_input("index.json", data, size);
  // The seeds carry this fingerprint, so fuzzing reaches the entries.
  const auto files = vqclip::read_index(path, "fuzz-bundle|clip_image.pt:ab");
  require(files.is_object());
  for (const auto& [name, entry] : files.items()) {
    for (const int64_t dim : {2, 4}) {
      // Size and mtime as the seeds hold them, and as an entry's own values where they are numbers.
      std::vector<vqclip::FileKey> keys{{name, 12, 34}};
      if (entry.is_object() && entry.contains("size") && entry["size"].is_number_unsigned() &&
          entry.contains("mtime_ns") && entry["mtime_ns"].is_number_integer()) {
        keys.push_back({name, entry["size"].get<uint64_t>(), entry["mtime_ns"].get<int64_t>()});
      }
      for (const auto& key : keys) {
        const auto embedding = vqclip::cached_embedding(files, key, dim);
        require(!embedding || static_cast<int64_t>(embedding->size()) == dim);
      }
    }
  }
  for (const int64_t dim : {2, 4}) {  // what a migration takes over
    for (const auto& [file, embedding] : vqclip::indexed_entries(files, dim)) {
      require(files.contains(file.path) && static_cast<int64_t>(embedding.size()) == dim);
    }
  }
  return 0;
}
