#pragma once
// A CLIP-only copy of a bundle (contract version 2, no VQGAN section or files).
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace vqclip::test {

inline void write_clip_only_copy(const std::filesystem::path& bundle, const std::filesystem::path& copy) {
  std::filesystem::copy(bundle, copy, std::filesystem::copy_options::recursive);
  auto manifest = nlohmann::json::parse(std::ifstream(copy / "vqclip.json"));
  manifest["version"] = 2;
  manifest.erase("vqgan");
  for (const char* file : {"vqgan_decoder.pt", "vqgan_encoder.pt"}) {
    manifest["files"].erase(file);
    std::filesystem::remove(copy / file);
  }
  std::ofstream(copy / "vqclip.json", std::ios::trunc) << manifest.dump(2);
}

}  // namespace vqclip::test
