#pragma once
// Batched, per-view random augmentations (DESIGN section 4), drawn from
// torch's global generator.
#include <torch/torch.h>

#include "vqclip/render_ops.hpp"

namespace vqclip {

// Per-view 3x3 maps of normalised view coordinates ([-1, 1]^2, homogeneous)
// combining flip, affine (rotate 15 deg, translate 0.1, shear 5 deg) and
// perspective (distortion 0.7), each applied with its probability: [n, 3, 3].
torch::Tensor random_geometry(int64_t n, const AugmentSet& augments, const torch::TensorOptions& options);

// Samples `resolution`^2 views from `source` [n or 1, 3, H, W]: output point p
// reads the source at `placement` (applied to `geometry` p), where placement
// [n, 2, 3] maps view coordinates into the source's normalised coordinates.
torch::Tensor sample_views(const torch::Tensor& source, const torch::Tensor& geometry, const torch::Tensor& placement,
                           int64_t resolution);

// Brightness, contrast, saturation 0.1 and hue 0.1 (of a half turn), p = 0.7.
torch::Tensor colour_jitter(const torch::Tensor& views);

// Erases a random rectangle of 10-40% of the area (aspect 0.3-3.3), p = 0.7.
torch::Tensor random_erasing(const torch::Tensor& views);

// Adds normal noise with a per-view factor uniform in [0, max_factor].
torch::Tensor add_noise(const torch::Tensor& views, double max_factor);

}  // namespace vqclip
