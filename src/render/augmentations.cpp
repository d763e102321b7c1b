#include "render/augmentations.hpp"

#include <c10/util/MathConstants.h>

#include <cmath>
#include <vector>

namespace vqclip {
namespace {

constexpr double kProbability = 0.7;  // of each augmentation but flip, per view
constexpr double kDegree = c10::pi<double> / 180.0;

// Uniform in [-1, 1) from a column of uniform [0, 1) draws.
torch::Tensor symmetric(const torch::Tensor& draws, int64_t column) { return draws.select(1, column) * 2 - 1; }

// [n, 3, 3] from nine per-view entries [n], row-major.
torch::Tensor matrices(const std::vector<torch::Tensor>& entries) { return torch::stack(entries, 1).view({-1, 3, 3}); }

torch::Tensor identities(int64_t n, const torch::TensorOptions& options) {
  return torch::eye(3, options).expand({n, 3, 3});
}

// `maps` for the views where `applied` [n] is true, identity for the others.
torch::Tensor where_applied(const torch::Tensor& applied, const torch::Tensor& maps) {
  return torch::where(applied.view({-1, 1, 1}), maps, identities(maps.size(0), maps.options()));
}

torch::Tensor flip_maps(int64_t n, const torch::TensorOptions& options, at::Generator& generator) {
  const auto draws = torch::rand({n}, generator, options);
  const auto zero = torch::zeros({n}, options);
  const auto one = torch::ones({n}, options);
  const auto x_scale = torch::where(draws < 0.5, -one, one);
  return matrices({x_scale, zero, zero, zero, one, zero, zero, zero, one});
}

// The image transform is p -> R(angle) Sh(shear) p + t; its sampling map is
// the inverse, Sh(-shear) R(-angle) (p - t), built directly.
torch::Tensor affine_maps(int64_t n, const torch::TensorOptions& options, at::Generator& generator) {
  const auto draws = torch::rand({n, 5}, generator, options);
  const auto applied = draws.select(1, 0) < kProbability;
  const auto angle = symmetric(draws, 1) * (15 * kDegree);
  const auto shear = symmetric(draws, 2) * (5 * kDegree);
  const auto tx = symmetric(draws, 3) * 0.2;  // 0.1 of the side, which spans 2 units
  const auto ty = symmetric(draws, 4) * 0.2;
  const auto c = angle.cos(), s = angle.sin(), k = shear.tan();
  const auto a = c + k * s, b = s - k * c;  // first row of Sh(-shear) R(-angle)
  const auto zero = torch::zeros({n}, options);
  const auto one = torch::ones({n}, options);
  const auto maps = matrices({a, b, -(a * tx + b * ty), -s, c, s * tx - c * ty, zero, zero, one});
  return where_applied(applied, maps);
}

// The image transform moves each corner of the view inwards by up to
// distortion * half side per coordinate (the peers' perspective); its sampling
// map is the homography taking the moved corners back to the corners, solved
// for all views at once (8 unknowns, h22 = 1).
torch::Tensor perspective_maps(int64_t n, double distortion, const torch::TensorOptions& options,
                               at::Generator& generator) {
  const auto draws = torch::rand({n, 9}, generator, options);
  const auto applied = draws.select(1, 0) < kProbability;
  const auto corners = torch::tensor({-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0}, options).view({1, 4, 2});
  const auto moved = corners * (1 - distortion * draws.narrow(1, 1, 8).view({n, 4, 2}));
  const auto x = moved.select(2, 0), y = moved.select(2, 1);  // [n, 4]
  const auto u = corners.select(2, 0).expand({n, 4}), v = corners.select(2, 1).expand({n, 4});
  const auto zero = torch::zeros_like(x), one = torch::ones_like(x);
  // u = (h00 x + h01 y + h02) / (h20 x + h21 y + 1), likewise v: two linear rows per corner.
  const auto rows_u = torch::stack({x, y, one, zero, zero, zero, -x * u, -y * u}, -1);
  const auto rows_v = torch::stack({zero, zero, zero, x, y, one, -x * v, -y * v}, -1);
  const auto system = torch::stack({rows_u, rows_v}, 2).view({n, 8, 8});
  const auto targets = torch::stack({u, v}, 2).view({n, 8, 1});
  const auto h = torch::linalg_solve(system, targets).view({n, 8});
  const auto maps = torch::cat({h, torch::ones({n, 1}, options)}, 1).view({n, 3, 3});
  return where_applied(applied, maps);
}

// Per-view factors [n] in [1 - amount, 1 + amount] from a column of draws.
torch::Tensor factor(const torch::Tensor& draws, int64_t column, double amount) {
  return 1 + symmetric(draws, column) * amount;
}

}  // namespace

torch::TensorOptions parameter_options(const torch::Tensor& like) {
  return like.options().dtype(at::promote_types(like.scalar_type(), torch::kFloat));
}

bool has_geometry(const AugmentSet& augments) { return augments.flip || augments.affine || augments.perspective; }

torch::Tensor random_view_maps(int64_t n, const AugmentSet& augments, const torch::TensorOptions& options,
                               at::Generator& generator) {
  // The image goes through flip, affine, perspective in turn, so a view point
  // is mapped back through perspective first: maps = F * A * P.
  auto maps = identities(n, options);
  if (augments.flip) maps = flip_maps(n, options, generator);
  if (augments.affine) maps = torch::bmm(maps, affine_maps(n, options, generator));
  if (augments.perspective) maps = torch::bmm(maps, perspective_maps(n, 0.7, options, generator));
  return maps;
}

torch::Tensor sample_views(const torch::Tensor& source, const torch::Tensor& maps, int64_t resolution) {
  namespace F = torch::nn::functional;
  const int64_t n = maps.size(0);
  // Pixel centres of a view in normalised coordinates (align_corners false).
  const auto centres = (torch::arange(resolution, maps.options()) * 2 + 1) / resolution - 1;
  const auto xs = centres.view({1, -1}).expand({resolution, resolution});
  const auto ys = centres.view({-1, 1}).expand({resolution, resolution});
  const auto points = torch::stack({xs, ys, torch::ones_like(xs)}, -1).view({-1, 3});
  const auto mapped = torch::matmul(points, maps.transpose(1, 2));  // [n, R*R, 3]
  // Past the horizon of a strong perspective w turns negative; a tiny positive
  // w sends those points far out on their own side, where the border padding
  // repeats the edge.
  const auto grid = mapped.narrow(2, 0, 2) / mapped.narrow(2, 2, 1).clamp_min(1e-6);
  return F::grid_sample(source.expand({n, -1, -1, -1}),
                        grid.view({n, resolution, resolution, 2}).to(source.scalar_type()),
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

torch::Tensor colour_jitter(const torch::Tensor& views, at::Generator& generator) {
  const int64_t n = views.size(0);
  const auto options = parameter_options(views);
  const auto draws = torch::rand({n, 5}, generator, options);
  const auto applied = (draws.select(1, 0) < kProbability).view({n, 1, 1, 1});
  const auto brightness = factor(draws, 1, 0.1);
  const auto contrast = factor(draws, 2, 0.1);
  const auto saturation = factor(draws, 3, 0.1).view({n, 1, 1});
  const auto hue_angle = symmetric(draws, 4) * (0.1 * 2 * c10::pi<double>);

  // Saturation and hue are linear in RGB: one 3x3 matrix per view.
  const auto luma = torch::tensor({0.299, 0.587, 0.114}, options);
  const auto desaturate = torch::ones({3, 1}, options) * luma.view({1, 3});  // every channel := luma
  const auto saturate = torch::eye(3, options) * saturation + desaturate * (1 - saturation);
  // Hue: rotation of the chroma plane of YIQ.
  const auto to_yiq =
      torch::tensor({0.299, 0.587, 0.114, 0.596, -0.274, -0.322, 0.211, -0.523, 0.312}, options).view({3, 3});
  const auto zero = torch::zeros({n}, options), one = torch::ones({n}, options);
  const auto c = hue_angle.cos(), s = hue_angle.sin();
  const auto rotate = matrices({one, zero, zero, zero, c, -s, zero, s, c});
  const auto colour = torch::matmul(torch::matmul(torch::linalg_inv(to_yiq), rotate), torch::matmul(to_yiq, saturate));

  // Brightness b, then contrast k around the mean grey g of the brightened
  // view, then the colour matrix M: M (k (b v - b g) + b g) = k b M v + (1 - k) b g,
  // since M keeps greys grey: one batched multiply-add over the pixels
  // instead of a pass per step.
  const auto type = views.scalar_type();
  const auto pixels = views.flatten(2);  // [n, C, H*W]
  const auto mean_grey = torch::mv(pixels.mean(2), luma.to(type));  // [n], of the view before brightness
  const auto gain = (brightness * contrast).view({n, 1, 1}) * colour;
  const auto offset = ((1 - contrast) * brightness).to(type) * mean_grey;
  const auto jittered = torch::baddbmm(offset.view({n, 1, 1}), gain.to(type), pixels).view_as(views);
  return torch::where(applied, jittered.clamp(0, 1), views);
}

torch::Tensor random_erasing(const torch::Tensor& views, at::Generator& generator) {
  const int64_t n = views.size(0), height = views.size(2), width = views.size(3);
  const auto options = parameter_options(views);
  const auto draws = torch::rand({n, 5}, generator, options);
  const auto applied = draws.select(1, 0) < kProbability;
  const auto area = (0.1 + 0.3 * draws.select(1, 1)) * static_cast<double>(height * width);
  const auto aspect = (std::log(0.3) + (std::log(3.3) - std::log(0.3)) * draws.select(1, 2)).exp();  // log-uniform
  const auto rect_height = (area * aspect).sqrt().clamp_max(static_cast<double>(height));
  const auto rect_width = (area / aspect).sqrt().clamp_max(static_cast<double>(width));
  const auto top = draws.select(1, 3) * (height - rect_height);
  const auto left = draws.select(1, 4) * (width - rect_width);
  // A pixel is erased when its centre lies in the rectangle.
  const auto rows = (torch::arange(height, options) + 0.5).view({1, -1, 1});
  const auto cols = (torch::arange(width, options) + 0.5).view({1, 1, -1});
  const auto in_rows = (rows >= top.view({n, 1, 1})) & (rows < (top + rect_height).view({n, 1, 1}));
  const auto in_cols = (cols >= left.view({n, 1, 1})) & (cols < (left + rect_width).view({n, 1, 1}));
  const auto erased = in_rows & in_cols & applied.view({n, 1, 1});  // [n, H, W]
  return views.masked_fill(erased.unsqueeze(1), 0);
}

torch::Tensor add_noise(const torch::Tensor& views, double max_factor, at::Generator& generator) {
  const auto factors = torch::rand({views.size(0), 1, 1, 1}, generator, views.options()) * max_factor;
  // What randn_like(views) draws, from the run's generator.
  const auto noise = torch::randn(views.sizes(), generator, views.options());
  return views + factors * noise;
}

}  // namespace vqclip
