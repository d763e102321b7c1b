#include "render/augmentations.hpp"

#include <cmath>

namespace vqclip {
namespace {

constexpr double kProbability = 0.7;
constexpr double kDegree = M_PI / 180.0;

// n random draws in [lo, hi).
torch::Tensor uniform(int64_t n, double lo, double hi, const torch::TensorOptions& options) {
  return torch::rand({n}, options) * (hi - lo) + lo;
}

// Which of n views an augmentation applies to, as 0/1 floats [n].
torch::Tensor chosen(int64_t n, double probability, const torch::TensorOptions& options) {
  return (torch::rand({n}, options) < probability).to(options.dtype());
}

torch::Tensor identity3(int64_t n, const torch::TensorOptions& options) {
  return torch::eye(3, options).unsqueeze(0).repeat({n, 1, 1});
}

// Where a map applies to some views only: identity elsewhere.
torch::Tensor mix_with_identity(const torch::Tensor& maps, const torch::Tensor& applied) {
  const auto eye = identity3(maps.size(0), maps.options());
  const auto w = applied.view({-1, 1, 1});
  return maps * w + eye * (1 - w);
}

torch::Tensor random_affine(int64_t n, const torch::TensorOptions& options) {
  const auto angle = uniform(n, -15 * kDegree, 15 * kDegree, options);
  const auto shear = uniform(n, -5 * kDegree, 5 * kDegree, options);
  const auto tx = uniform(n, -0.2, 0.2, options);  // 0.1 of the side; the view spans 2 units
  const auto ty = uniform(n, -0.2, 0.2, options);
  const auto cos = angle.cos(), sin = angle.sin(), tan_shear = shear.tan();
  auto maps = identity3(n, options);
  // rotation x shear(x by y)
  maps.select(1, 0).select(1, 0).copy_(cos);
  maps.select(1, 0).select(1, 1).copy_(cos * tan_shear - sin);
  maps.select(1, 0).select(1, 2).copy_(tx);
  maps.select(1, 1).select(1, 0).copy_(sin);
  maps.select(1, 1).select(1, 1).copy_(sin * tan_shear + cos);
  maps.select(1, 1).select(1, 2).copy_(ty);
  return maps;
}

// Homographies moving each corner of the view by up to distortion/2 of the side
// (the perspective augmentation of the peers), solved for all views at once.
torch::Tensor random_perspective(int64_t n, double distortion, const torch::TensorOptions& options) {
  const auto corners = torch::tensor({-1.f, -1.f, 1.f, -1.f, 1.f, 1.f, -1.f, 1.f}, options).view({1, 4, 2});
  const auto moved = corners + (torch::rand({n, 4, 2}, options) * 2 - 1) * distortion;  // +-distortion/2 of 2 units
  // For each corner (x, y) -> (u, v): two rows of the 8x8 system in h00..h21.
  auto a = torch::zeros({n, 8, 8}, options);
  auto b = torch::zeros({n, 8}, options);
  for (int64_t i = 0; i < 4; ++i) {
    const auto x = corners.select(1, i).select(1, 0).expand({n});
    const auto y = corners.select(1, i).select(1, 1).expand({n});
    const auto u = moved.select(1, i).select(1, 0);
    const auto v = moved.select(1, i).select(1, 1);
    auto row_u = a.select(1, 2 * i);
    auto row_v = a.select(1, 2 * i + 1);
    row_u.select(1, 0).copy_(x);
    row_u.select(1, 1).copy_(y);
    row_u.select(1, 2).fill_(1);
    row_u.select(1, 6).copy_(-x * u);
    row_u.select(1, 7).copy_(-y * u);
    row_v.select(1, 3).copy_(x);
    row_v.select(1, 4).copy_(y);
    row_v.select(1, 5).fill_(1);
    row_v.select(1, 6).copy_(-x * v);
    row_v.select(1, 7).copy_(-y * v);
    b.select(1, 2 * i).copy_(u);
    b.select(1, 2 * i + 1).copy_(v);
  }
  const auto h = torch::linalg_solve(a, b);
  return torch::cat({h, torch::ones({n, 1}, options)}, 1).view({n, 3, 3});
}

}  // namespace

torch::Tensor random_geometry(int64_t n, const AugmentSet& augments, const torch::TensorOptions& options) {
  auto maps = identity3(n, options);
  if (augments.flip) {
    auto flip = identity3(n, options);
    flip.select(1, 0).select(1, 0).fill_(-1);
    maps = torch::bmm(mix_with_identity(flip, chosen(n, 0.5, options)), maps);
  }
  if (augments.affine) {
    maps = torch::bmm(mix_with_identity(random_affine(n, options), chosen(n, kProbability, options)), maps);
  }
  if (augments.perspective) {
    maps = torch::bmm(mix_with_identity(random_perspective(n, 0.7, options), chosen(n, kProbability, options)), maps);
  }
  return maps;
}

torch::Tensor sample_views(const torch::Tensor& source, const torch::Tensor& geometry, const torch::Tensor& placement,
                           int64_t resolution) {
  namespace F = torch::nn::functional;
  const int64_t n = geometry.size(0);
  const auto options = geometry.options();
  // Pixel centres of the view in normalised coordinates (align_corners = false).
  const auto steps = (torch::arange(resolution, options) * 2 + 1) / resolution - 1;
  const auto grid_y = steps.view({resolution, 1}).expand({resolution, resolution});
  const auto grid_x = steps.view({1, resolution}).expand({resolution, resolution});
  const auto points = torch::stack({grid_x, grid_y, torch::ones_like(grid_x)}, -1).view({1, -1, 3});
  // view point -> augmented point (homogeneous) -> source coordinates
  auto warped = torch::matmul(points, geometry.transpose(1, 2));
  warped = warped / warped.narrow(2, 2, 1);
  const auto in_source = torch::matmul(warped, placement.transpose(1, 2));  // [n, R*R, 2]
  const auto grid = in_source.view({n, resolution, resolution, 2});
  const auto input = source.size(0) == n ? source : source.expand({n, source.size(1), source.size(2), source.size(3)});
  return F::grid_sample(input, grid,
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
}

torch::Tensor colour_jitter(const torch::Tensor& views) {
  const int64_t n = views.size(0);
  const auto options = views.options();
  const auto applied = chosen(n, kProbability, options).view({n, 1, 1, 1});
  const auto factor = [&](double amount) { return uniform(n, 1 - amount, 1 + amount, options).view({n, 1, 1, 1}); };
  const auto grey_weights = torch::tensor({0.299f, 0.587f, 0.114f}, options).view({1, 3, 1, 1});

  auto x = views * factor(0.1);                                         // brightness
  const auto mean_grey = (x * grey_weights).sum(1, true).mean({2, 3}, true);
  x = (x - mean_grey) * factor(0.1) + mean_grey;                        // contrast
  const auto grey = (x * grey_weights).sum(1, true);
  x = grey + (x - grey) * factor(0.1);                                  // saturation
  // Hue: rotate the chroma plane of YIQ by up to 0.1 of a half turn.
  const auto to_yiq = torch::tensor({0.299f, 0.587f, 0.114f, 0.596f, -0.274f, -0.322f, 0.211f, -0.523f, 0.312f},
                                    options).view({3, 3});
  const auto angle = uniform(n, -0.1 * M_PI, 0.1 * M_PI, options);
  auto rotation = identity3(n, options);
  rotation.select(1, 1).select(1, 1).copy_(angle.cos());
  rotation.select(1, 1).select(1, 2).copy_(-angle.sin());
  rotation.select(1, 2).select(1, 1).copy_(angle.sin());
  rotation.select(1, 2).select(1, 2).copy_(angle.cos());
  const auto hue_map = torch::matmul(torch::matmul(torch::inverse(to_yiq), rotation), to_yiq);  // [n, 3, 3]
  x = torch::einsum("nij,njhw->nihw", {hue_map, x});
  return (views * (1 - applied) + x.clamp(0, 1) * applied);
}

torch::Tensor random_erasing(const torch::Tensor& views) {
  const int64_t n = views.size(0), h = views.size(2), w = views.size(3);
  const auto options = views.options();
  const auto applied = chosen(n, kProbability, options).view({n, 1, 1});
  const auto area = uniform(n, 0.1, 0.4, options) * (h * w);
  const auto aspect = (uniform(n, std::log(0.3), std::log(3.3), options)).exp();
  const auto eh = (area * aspect).sqrt().clamp_max(h);
  const auto ew = (area / aspect).sqrt().clamp_max(w);
  const auto top = torch::rand({n}, options) * (h - eh);
  const auto left = torch::rand({n}, options) * (w - ew);
  const auto ys = torch::arange(h, options).view({1, h, 1});
  const auto xs = torch::arange(w, options).view({1, 1, w});
  const auto inside = (ys >= top.view({n, 1, 1})) * (ys < (top + eh).view({n, 1, 1})) *
                      (xs >= left.view({n, 1, 1})) * (xs < (left + ew).view({n, 1, 1}));
  const auto keep = 1 - inside.to(options.dtype()) * applied;  // [n, h, w]
  return views * keep.unsqueeze(1);
}

torch::Tensor add_noise(const torch::Tensor& views, double max_factor) {
  const auto factors = torch::rand({views.size(0), 1, 1, 1}, views.options()) * max_factor;
  return views + factors * torch::randn_like(views);
}

}  // namespace vqclip
