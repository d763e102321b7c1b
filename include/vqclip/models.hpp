#pragma once
// The models of a bundle, loaded by need: the CLIP part (tokenizer, text and
// image encoders) and the image-model part (VQGAN decoder and, for renders
// that start from a picture, its encoder). Only the files of the parts asked
// for are hashed, loaded and probed, so `score` never touches the VQGAN.
#include <torch/script.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vqclip/bundle.hpp"
#include "vqclip/context_params.hpp"
#include "vqclip/memory_costs.hpp"
#include "vqclip/perceptor_settings.hpp"
#include "vqclip/tokenizer.hpp"

namespace vqclip {

struct ClipModel {
  ClipSpec spec;
  c10::Device device = c10::kCPU;
  torch::jit::Module text_encoder;   // eval mode, frozen, on device
  torch::jit::Module image_encoder;
  std::shared_ptr<const Tokenizer> tokenizer;
};

struct VqganModel {
  VqganSpec spec;
  c10::Device device = c10::kCPU;
  torch::jit::Module decoder;
  std::optional<torch::jit::Module> encoder;
  torch::Tensor codebook;  // [n_embed, C] float32 on device
};

// Which parts to load.
struct ModelParts {
  bool clip = true;
  bool vqgan_decoder = false;
  bool vqgan_encoder = false;  // loaded only with the decoder, and only if the bundle has one

  static ModelParts clip_only() { return {true, false, false}; }
  // A VQGAN render's; the encoder only to start from a picture or for a second pass.
  static ModelParts for_render(bool needs_encoder) { return {true, true, needs_encoder}; }
  // Any drawer's render (GenerationParams::needs_vqgan, needs_encoder).
  static ModelParts for_render(bool needs_vqgan, bool needs_encoder) {
    return {true, needs_vqgan, needs_vqgan && needs_encoder};
  }
  static ModelParts everything() { return {true, true, true}; }
  // Every part this bundle has: everything, or the CLIP alone in a CLIP-only bundle.
  static ModelParts all_of(const Manifest& manifest) { return manifest.vqgan ? everything() : clip_only(); }
};

struct LoadOptions {
  c10::Device device = c10::kCPU;
  bool verify_hashes = true;  // sha256 of the files of the parts loaded
  bool probe = true;          // run each loaded module once on tiny inputs, check shapes
  ModelParts parts = ModelParts::everything();
};

// Another bundle's CLIP, judging renders with the bundle's own (perceptor_settings.hpp).
struct PerceptorModel {
  Manifest manifest;
  ClipModel clip;
};

struct Models {
  Manifest manifest;
  c10::Device device = c10::kCPU;
  Precision precision = Precision::kFp32;
  std::optional<ClipModel> clip;
  std::optional<VqganModel> vqgan;
  // Other bundles' CLIPs, by their directory as given; render() loads those it needs.
  std::map<std::filesystem::path, PerceptorModel> perceptors;
  bool verify_hashes = true;  // how the bundle was loaded, and so the perceptors are
  int64_t memory_budget = 0;  // bytes one render's step may take; 0 = what the machine has available
  // Measured by render() on first need, per loop settings (memory_estimate.hpp).
  std::map<std::string, MemoryCosts> memory_costs;

  // The part, or a BundleError saying it was not loaded (a bug of the caller's)
  // or that the bundle lacks it.
  ClipModel& require_clip();
  const ClipModel& require_clip() const;
  VqganModel& require_vqgan();
  const VqganModel& require_vqgan() const;
};

// Throws BundleError (exit 3) on any failure, one line naming file and cause.
Models load_models(const std::filesystem::path& bundle_dir, const LoadOptions& options);

// Loads on the context's device with its verification setting, keeps its
// precision and memory budget for render(), and applies its process-wide settings: libtorch's
// intra-op threads and the input-picture limit (set_max_image_pixels).
Models load_models(const ResolvedContext& context, ModelParts parts);

// Loads the CLIPs of `settings.extra` that `models` lacks, on its device,
// verified as it was, each probed. Throws BundleError naming the bundle.
void load_perceptors(Models& models, const PerceptorSettings& settings);

// A CLIP that judges a render, and its weight.
struct JudgingClip {
  ClipModel* clip = nullptr;
  double weight = 1.0;
  const Manifest* manifest = nullptr;  // the bundle it comes from
};

// Those that judge under `settings`, in order: the bundle's own (unless its
// weight is 0), then the extra ones. Throws BundleError when one is not loaded.
std::vector<JudgingClip> judging_clips(Models& models, const PerceptorSettings& settings);

// The tokenizer alone (for `tokenize`), its file's hash checked when `verify`.
std::shared_ptr<const Tokenizer> load_tokenizer(const Manifest& manifest, bool verify);

// Number of parameter values of a loaded module.
int64_t parameter_count(const torch::jit::Module& module);

// Runs each loaded module once on tiny inputs and checks the output shapes
// against the manifest (text [2, L] -> [2, D]; image [1, 3, R, R] -> [1, D];
// decoder: 2x3 codes -> [1, 3, 2f, 3f]; encoder [1, 3, 2f, 2f] -> [1, C, 2, 2]).
// Throws BundleError naming the module file, the input and expected vs found.
void probe_clip(ClipModel& clip);
void probe_vqgan(VqganModel& vqgan);

}  // namespace vqclip
