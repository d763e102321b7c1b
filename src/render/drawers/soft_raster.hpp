#pragma once
// The vector drawer's differentiable rasteriser (docs/architecture.md,
// "Drawers"): polylines -> signed distance at every pixel centre ->
// coverage -> back-to-front compositing, all as batched tensor ops.
//
// The nearest edge of each path to each pixel is found without gradients, in
// chunks of paths that bound the memory; the distance to that one edge is then
// recomputed with gradients. That is the gradient of the minimum (autograd
// routes it to the arg-min too) without keeping a [paths, pixels, edges]
// tensor for the backward pass.
#include <torch/torch.h>

namespace vqclip::drawers {

// Centres of a width x height picture's pixels, (x + 0.5, y + 0.5) in pixel
// units, row by row: [height * width, 2].
torch::Tensor pixel_centres(int64_t width, int64_t height, const c10::Device& device);

// Signed distance [N, P] from each of the P `pixels` [P, 2] to each of the N
// polylines `vertices` [N, V, 2] (pixel units). `closed`: the last vertex joins
// the first, the distance is negative inside (even-odd rule) and the path is a
// filled shape; open: the plain distance to the line.
torch::Tensor signed_distance(const torch::Tensor& vertices, const torch::Tensor& pixels, bool closed);

// Coverage of each pixel by a path whose edge is at signed distance
// `distance`: a linear ramp `softness` pixels wide across the edge,
// clamp(0.5 - distance / softness, 0, 1). At softness 1 it is the area a
// pixel's box filter covers across a straight edge, which is how an SVG
// renderer anti-aliases; wider ramps reach more pixels with gradients.
torch::Tensor coverage(const torch::Tensor& distance, double softness);

// Paths composited back to front (index 0 is the back) over `background`:
// alpha [N, P] (coverage times opacity), colours [N, 3], background [3] ->
// picture [1, 3, height, width] with P = height * width.
torch::Tensor composite(const torch::Tensor& alpha, const torch::Tensor& colours, const torch::Tensor& background,
                        int64_t width, int64_t height);

}  // namespace vqclip::drawers
