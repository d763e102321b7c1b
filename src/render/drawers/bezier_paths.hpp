#pragma once
// Paths of cubic Bezier curves as the vector drawer keeps them, flattened to
// polylines for the rasteriser, and written as SVG path data.
#include <torch/torch.h>

#include <string>

namespace vqclip::drawers {

// Points sampled a curve when flattening: enough that a curve spanning a
// 256-pixel picture strays under a pixel from its polyline.
inline constexpr int kSamplesPerCurve = 8;

// Control points a path of `segments` curves has: closed paths 3 x segments
// (the last curve ends where the first starts), open ones one more.
int64_t control_point_count(int segments, bool closed);

// Control points [N, control_point_count, 2] -> polyline vertices
// [N, segments x kSamplesPerCurve (+ 1 when open), 2]; differentiable.
torch::Tensor flatten_paths(const torch::Tensor& control_points, int segments, bool closed);

// SVG path data ("M x y C ... Z") of one path's control points [count, 2].
std::string svg_path_data(const torch::Tensor& control_points, int segments, bool closed);

}  // namespace vqclip::drawers
