#pragma once
// What `vqclip info` reports about a bundle: the manifest, the files with
// their sizes, parameter counts per module and the integrity check.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vqclip/models.hpp"

namespace vqclip {

struct BundleFileInfo {
  std::string name;    // as listed in vqclip.json "files"
  uintmax_t bytes = 0;
  std::string sha256;  // from vqclip.json
};

struct ModuleInfo {
  std::string role;    // text_encoder, image_encoder, decoder, encoder
  std::string file;    // file name inside the bundle
  int64_t parameters = 0;
};

struct BundleInfo {
  Manifest manifest;
  std::string device;
  std::vector<BundleFileInfo> files;
  std::vector<ModuleInfo> modules;
  std::vector<std::string> drawers;  // the drawers it can render with (all but vqgan without a VQGAN)
  bool verified = false;  // sha256 of every file checked (a mismatch throws instead)
};

// Loads every part of the bundle (the encoder included, so its parameters are
// counted) and, with options.verify_hashes, checks every file vqclip.json
// lists; throws BundleError for anything load_models rejects.
BundleInfo describe_bundle(const std::filesystem::path& bundle_dir, const LoadOptions& options);

// {"directory", "name", "device", "manifest" (vqclip.json as written),
//  "files": {name: {"bytes", "sha256"}}, "total_bytes",
//  "parameters": {role: count, ..., "total"}, "drawers": [name, ...], "default_drawer",
//  "integrity": "ok" | "not checked"}
nlohmann::json bundle_info_json(const BundleInfo& info);

// Aligned, human-readable lines for a terminal.
std::string bundle_info_text(const BundleInfo& info);

}  // namespace vqclip
