#pragma once
// Differentiable pieces of the VQGAN+CLIP loop (docs/architecture.md, "The
// loop"), all batched tensor ops on the tensors' device, all randomness from
// the run's own generator (runtime.hpp) so that a seed reproduces a run.
#include <torch/torch.h>

#include "vqclip/cutout_settings.hpp"
#include "vqclip/picture_losses.hpp"

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

// image [1, 3, H, W] in [0, 1] -> views [cutn, 3, R, R]. Differentiable w.r.t.
// image. Every random draw comes from `generator`, which must live on the
// image's device.
torch::Tensor make_cutouts(const torch::Tensor& image, int resolution, const CutoutSettings& settings,
                           at::Generator& generator);

// Squared great-circle distance 2*asin(|a/|a| - b/|b||/2)^2 between every view
// embedding [V, D] and one prompt embedding [D] -> [V].
torch::Tensor spherical_distance(const torch::Tensor& views, const torch::Tensor& prompt);

// Loss of one prompt (docs/architecture.md, "The loop", step 6):
// sign(weight)*distance, floored at `stop` in the forward value only, mean over
// views, times |weight|.
torch::Tensor prompt_loss(const torch::Tensor& view_embeddings, const torch::Tensor& prompt_embedding,
                          double weight, double stop);

// The weighted sum of the picture losses that are on, for a picture
// [1, 3, H, W] in [0, 1]: a scalar, differentiable with respect to it.
torch::Tensor picture_loss(const torch::Tensor& picture, const PictureLosses& losses);

}  // namespace vqclip
