// Fuzzes a batch's manifest.jsonl as resume reads it: whatever the bytes, the
// lines kept are JSON objects, and appending after them starts a fresh line
// that reads back whole.
#include <spdlog/spdlog.h>

#include "batch/batch.hpp"
#include "fuzz_support.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // torn lines are reported for most inputs
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = vqclip::fuzz::write_input("manifest.jsonl", data, size);
  const auto before = vqclip::read_manifest_lines(path);
  for (const auto& line : before) require(line.is_object());
  const nlohmann::json appended{{"index", 7}, {"status", "done"}, {"file", "0007-x.png"}};
  vqclip::append_manifest_line(path, appended);
  const auto after = vqclip::read_manifest_lines(path);
  require(!after.empty() && after.back() == appended);
  require(after.size() >= before.size() && after.size() <= before.size() + 2);
  return 0;
}
