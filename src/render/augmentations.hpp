#pragma once
// Batched per-view random augmentations of the cutouts (docs/architecture.md,
// "The loop"). Every draw comes from the run's generator, for all views at
// once, so a seed reproduces them; none of them loops over views.
#include <torch/torch.h>

#include "vqclip/render_ops.hpp"

namespace vqclip {

// Options for random parameters and sampling maps of augmentations on `like`:
// its device, at least float precision (the perspective solve needs it).
torch::TensorOptions parameter_options(const torch::Tensor& like);

// Whether the set moves pixels (flip, affine, perspective) rather than only
// changing their values.
bool has_geometry(const AugmentSet& augments);

// Sampling maps of the geometric augmentations, [n, 3, 3] in `options`: the
// homogeneous map from a point of the augmented view to the point of the plain
// view that it shows, both in normalised coordinates [-1, 1]^2. Applied in the
// peers' order (flip, then affine, then perspective); identity for a view that
// drew none. Affine: rotation up to 15 deg, translation up to 0.1 of the side,
// x-shear up to 5 deg, p = 0.7. Perspective: corners moved inwards by up to
// 0.7 of the half side, p = 0.7. Flip: horizontal, p = 0.5.
torch::Tensor random_view_maps(int64_t n, const AugmentSet& augments, const torch::TensorOptions& options,
                               at::Generator& generator);

// All views [n, C, R, R] in one bilinear grid_sample (border padding,
// align_corners false) of `source` [1 or n, C, H, W]: the centre p of a view
// pixel shows the source at maps[i] * p (homogeneous, normalised coordinates).
torch::Tensor sample_views(const torch::Tensor& source, const torch::Tensor& maps, int64_t resolution);

// Colour jitter of 0.1 (p = 0.7 per view): brightness, contrast and saturation
// factors in [0.9, 1.1] and a hue turn of up to 0.1 of a full turn (the peers'
// ColorJitter(hue=0.1, saturation=0.1)); clamped to [0, 1].
torch::Tensor colour_jitter(const torch::Tensor& views, at::Generator& generator);

// Sets a random rectangle of 10-40% of the area (aspect 0.3-3.3) to 0, p = 0.7 per view.
torch::Tensor random_erasing(const torch::Tensor& views, at::Generator& generator);

// Adds normal noise times a per-view factor uniform in [0, max_factor] (not clamped).
torch::Tensor add_noise(const torch::Tensor& views, double max_factor, at::Generator& generator);

}  // namespace vqclip
