#pragma once
// Model bundle: manifest (vqclip.json, DESIGN section 3) and the loaded modules.
#include <torch/script.h>

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

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
  VqganSpec vqgan;
  std::map<std::string, std::string> file_hashes;  // file name -> sha256 hex
  nlohmann::json raw;                               // the whole vqclip.json
};

// Parses and validates vqclip.json (fields, types, version, files present).
// Throws BundleError naming the file, the field, and expected vs found.
Manifest read_manifest(const std::filesystem::path& bundle_dir);

struct LoadOptions {
  torch::Device device = torch::kCPU;
  bool verify_hashes = true;  // sha256 of every file listed in "files"
  bool probe = true;          // run each module once on tiny inputs, check shapes
  bool load_encoder = true;   // the VQGAN encoder is only needed for init images
};

struct Bundle {
  Manifest manifest;
  torch::Device device = torch::kCPU;
  torch::jit::Module text_encoder;   // eval mode, frozen, on device
  torch::jit::Module image_encoder;
  torch::jit::Module decoder;
  std::optional<torch::jit::Module> encoder;
  torch::Tensor codebook;            // [n_embed, C] float32 on device
  std::unique_ptr<Tokenizer> tokenizer;
};

// Throws BundleError (exit 3) on any failure, one line naming file and cause.
Bundle load_bundle(const std::filesystem::path& bundle_dir, const LoadOptions& options);

// --models DIR, else $VQCLIP_MODELS, else the tiny-shapes bundle of the install
// (<exe dir>/../share/vqclip/models), else that of the source tree (a build
// tree). Throws BundleError listing where it looked if none has vqclip.json.
std::filesystem::path resolve_bundle_dir(const std::optional<std::filesystem::path>& cli_value);

// Number of parameter values of a loaded module.
int64_t parameter_count(const torch::jit::Module& module);

// Lowercase hex sha256 of a file; throws BundleError if unreadable.
std::string sha256_file(const std::filesystem::path& path);

// Checks the sha256 of every file in manifest.file_hashes; throws BundleError
// naming the first file that differs (expected and found, first 12 hex digits).
void verify_bundle_files(const Manifest& manifest);

// Runs each loaded module once on tiny inputs and checks the output shapes
// against the manifest (text [2, L] -> [2, D]; image [1, 3, R, R] -> [1, D];
// decoder: 2x3 codes -> [1, 3, 2f, 3f]; encoder [1, 3, 2f, 2f] -> [1, C, 2, 2]).
// Throws BundleError naming the module file, the input and expected vs found.
void probe_bundle(Bundle& bundle);

}  // namespace vqclip
