#pragma once
// A model bundle on disk: vqclip.json and the files it names
// (docs/architecture.md, "The bundle contract"). Reading the manifest loads
// no model; models.hpp loads the parts a command needs.
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vqclip/tokenizer.hpp"

namespace vqclip {

struct ClipSpec {
  std::filesystem::path text_encoder;   // bundle dir / file name, as every path here
  std::filesystem::path image_encoder;
  int input_resolution = 0;
  int context_length = 0;
  int embed_dim = 0;
  std::array<float, 3> mean{};
  std::array<float, 3> std{};
  double logit_scale = 100.0;
  TokenizerSpec tokenizer;
};

struct VqganSpec {
  std::filesystem::path decoder;
  std::optional<std::filesystem::path> encoder;
  int downsample_factor = 0;
  int embed_dim = 0;
  int n_embed = 0;
};

struct Manifest {
  std::filesystem::path dir;
  std::string name;
  int default_width = 0;
  int default_height = 0;
  ClipSpec clip;
  std::optional<VqganSpec> vqgan;  // none in a CLIP-only bundle (contract version 2)
  std::map<std::string, std::string> file_hashes;  // file name -> sha256 hex
  nlohmann::json raw;                               // the whole vqclip.json
};

// Parses and validates vqclip.json (fields, types, version, files present).
// Throws BundleError naming the file, the field, and expected vs found.
Manifest read_manifest(const std::filesystem::path& bundle_dir);

// "DIR/vqclip.json: this bundle has no VQGAN ...": the BundleError text for
// a CLIP-only bundle asked for the VQGAN.
std::string no_vqgan_message(const Manifest& manifest);

// The sha256 of the CLIP's files (text and image encoders, tokenizer) by file
// name: what a CLIP's results depend on, whatever else the bundle holds.
std::map<std::string, std::string> clip_file_hashes(const Manifest& manifest);

// `given` when set (an explicit --models), else $VQCLIP_MODELS, else the
// tiny-shapes bundle of the install (found relative to the vqclip library or
// executable), else that of the source tree the library was built from.
// Throws BundleError listing where it looked if none has vqclip.json.
std::filesystem::path resolve_bundle_dir(const std::optional<std::filesystem::path>& given);

// Lowercase hex sha256 of a file; throws BundleError if unreadable.
std::string sha256_file(const std::filesystem::path& path);

// Checks the sha256 that vqclip.json "files" gives for each of `files` (paths
// inside the bundle; a file the manifest lists no hash for is not checked).
// Throws BundleError naming the first file that differs (expected and found,
// first 12 hex digits). A file whose device, inode, size, modification and
// status-change times are those of an earlier check's is not read again: its
// digest then is remembered in the cache directory ($VQCLIP_CACHE_DIR, else
// $XDG_CACHE_HOME/vqclip, else ~/.cache/vqclip).
void verify_bundle_files(const Manifest& manifest, const std::vector<std::filesystem::path>& files);

// Every file vqclip.json "files" lists, each read and hashed.
void verify_bundle_files(const Manifest& manifest);

}  // namespace vqclip
