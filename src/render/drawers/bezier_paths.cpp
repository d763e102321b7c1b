#include "render/drawers/bezier_paths.hpp"

#include <cstdio>
#include <vector>

namespace vqclip::drawers {
namespace {

// The cubic Bernstein weights [kSamplesPerCurve, 4] at t = 0, 1/L, ..., (L-1)/L.
torch::Tensor bernstein_weights(const torch::TensorOptions& options) {
  const auto t = torch::arange(kSamplesPerCurve, options).div(kSamplesPerCurve).unsqueeze(1);
  const auto u = 1 - t;
  return torch::cat({u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t}, 1);
}

// Which control points each curve uses [segments, 4]: curve s starts at 3s
// and ends at 3s + 3, which wraps to 0 for the last curve of a closed path.
torch::Tensor curve_point_indices(int segments, bool closed, const c10::Device& device) {
  const int64_t count = control_point_count(segments, closed);
  std::vector<int64_t> indices;
  for (int s = 0; s < segments; ++s) {
    for (int k = 0; k < 4; ++k) indices.push_back((3 * s + k) % count);
  }
  return torch::tensor(indices, torch::kLong).view({segments, 4}).to(device);
}

void append_point(std::string& text, const char* command, float x, float y) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s%.3f %.3f", command, static_cast<double>(x), static_cast<double>(y));
  text += buffer;
}

}  // namespace

int64_t control_point_count(int segments, bool closed) { return 3 * int64_t{segments} + (closed ? 0 : 1); }

torch::Tensor flatten_paths(const torch::Tensor& control_points, int segments, bool closed) {
  const int64_t paths = control_points.size(0);
  const auto curves = control_points.index_select(1, curve_point_indices(segments, closed, control_points.device()).flatten())
                          .view({paths, segments, 4, 2});
  const auto samples = torch::einsum("lc,nkcd->nkld", {bernstein_weights(control_points.options()), curves})
                           .reshape({paths, int64_t{segments} * kSamplesPerCurve, 2});
  if (closed) return samples;
  return torch::cat({samples, control_points.narrow(1, control_points.size(1) - 1, 1)}, 1);
}

std::string svg_path_data(const torch::Tensor& control_points, int segments, bool closed) {
  const auto points = control_points.to(torch::kCPU, torch::kFloat).contiguous();
  const auto count = control_point_count(segments, closed);
  const auto* xy = points.data_ptr<float>();
  std::string text;
  append_point(text, "M", xy[0], xy[1]);
  for (int s = 0; s < segments; ++s) {
    for (int k = 1; k <= 3; ++k) {
      const auto index = (3 * s + k) % count;
      append_point(text, k == 1 ? " C" : " ", xy[2 * index], xy[2 * index + 1]);
    }
  }
  if (closed) text += " Z";
  return text;
}

}  // namespace vqclip::drawers
