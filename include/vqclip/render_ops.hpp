#pragma once
// Differentiable pieces of the VQGAN+CLIP loop (DESIGN section 4), all batched
// tensor ops on the tensors' device, all randomness from torch's global
// generator (seeded once per run) so that a seed reproduces a run.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vqclip {

// Nearest code for every latent vector (squared L2 as |z|^2 + |e|^2 - 2 z.e);
// forward value = the code, gradient = identity to z (straight-through).
// z: [B, C, h, w]; codebook: [N, C].
torch::Tensor quantize_straight_through(const torch::Tensor& z, const torch::Tensor& codebook);
// Indices of the nearest codes, [B, h, w] int64.
torch::Tensor nearest_code_indices(const torch::Tensor& z, const torch::Tensor& codebook);

// clamp(x, lo, hi) whose gradient passes through, except where following it
// (gradient descent) would push x further outside [lo, hi].
torch::Tensor clamp_with_grad(const torch::Tensor& x, double lo, double hi);

enum class CutMethod { kCrops, kPooled };

struct AugmentSet {
  bool affine = false;       // rotate 15 deg, translate 0.1, shear 5 (p = 0.7)
  bool perspective = false;  // distortion 0.7 (p = 0.7)
  bool jitter = false;       // colour jitter 0.1 (p = 0.7)
  bool erasing = false;      // random erasing of 10-40% area (p = 0.7)
  bool flip = false;         // horizontal flip (p = 0.5)
  bool noise = false;        // additive noise, per-view factor uniform in [0, noise_max]
};

// Parses a comma list of affine,perspective,jitter,erasing,flip,noise or "none".
// Throws UsageError naming the unknown item.
AugmentSet parse_augments(const std::string& list);
std::string to_string(const AugmentSet& set);

struct CutoutSettings {
  int cutn = 32;
  double cut_pow = 1.0;
  CutMethod method = CutMethod::kPooled;
  AugmentSet augments;
  double noise_max = 0.1;
};

// image [1, 3, H, W] in [0, 1] -> views [cutn, 3, R, R]. Differentiable w.r.t. image.
torch::Tensor make_cutouts(const torch::Tensor& image, int resolution, const CutoutSettings& settings);

// Squared great-circle distance 2*asin(|a/|a| - b/|b||/2)^2 between every view
// embedding [V, D] and one prompt embedding [D] -> [V].
torch::Tensor spherical_distance(const torch::Tensor& views, const torch::Tensor& prompt);

// Loss of one prompt (DESIGN section 4 step 6): sign(weight)*distance, floored
// at `stop` in the forward value only, mean over views, times |weight|.
torch::Tensor prompt_loss(const torch::Tensor& view_embeddings, const torch::Tensor& prompt_embedding,
                          double weight, double stop);

}  // namespace vqclip
