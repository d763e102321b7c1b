// The vector drawer: filled closed paths and open strokes of cubic Bezier
// curves with colour and opacity, over an optimised background colour, drawn
// by the soft rasteriser (soft_raster.hpp) and written as SVG (pixray's
// line-sketch and clipdraw drawers; docs/architecture.md, "Drawers").
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "render/drawers/bezier_paths.hpp"
#include "render/drawers/drawer_parts.hpp"
#include "render/drawers/drawers.hpp"
#include "render/drawers/soft_raster.hpp"

namespace vqclip {
namespace {

using torch::indexing::Slice;

// A point parameter's unit, as a fraction of the picture's side: with the
// default step size 0.1 a point moves about 0.5% of the side a step.
constexpr double kPointScale = 0.05;
// Points are held within this margin around the picture (fractions of a side).
constexpr double kPointMargin = 0.25;
// The edge ramp's width at the last step: one pixel, an SVG renderer's
// anti-aliasing, so the picture kept is the SVG's.
constexpr double kFinalSoftness = 1.0;
// Stroke widths are held to [kThinnest, kWidthRange x the starting width].
constexpr double kThinnest = 0.5;
constexpr double kWidthRange = 4.0;
// A random start: shapes are circles of these radii (fractions of a side),
// strokes random walks of steps of about this length.
constexpr double kSmallestRadius = 0.03;
constexpr double kLargestRadius = 0.15;
constexpr double kStrokeStep = 0.05;
// Opacity logits of a start picture's mosaic cells and of the paths it does
// not use (sigmoid 0.999 and 0.001: visible / invisible, still movable).
constexpr double kOpaque = 6.9;
constexpr double kInvisible = -6.9;

std::string hex_colour(const torch::Tensor& rgb) {
  const auto values = rgb.to(torch::kCPU).mul(255).round().clamp(0, 255).to(torch::kInt).contiguous();
  const auto* v = values.data_ptr<int>();
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", v[0], v[1], v[2]);
  return text;
}

std::string decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

class VectorDrawer final : public Drawer {
 public:
  VectorDrawer(const VectorSettings& settings, int width, int height, const c10::Device& device,
               const DrawerStart& start, at::Generator& generator)
      : settings_(settings), width_(width), height_(height), softness_(settings.softness) {
    pixels_ = drawers::pixel_centres(width, height, device);
    to_pixels_ = torch::tensor({static_cast<float>(width * kPointScale), static_cast<float>(height * kPointScale)},
                               torch::kFloat)
                     .to(device);
    if (!start.parameters.empty()) {
      values_ = drawers::adopt_parameters(start.parameters, shapes(), device, "vector");
    } else {
      auto values = random_start(generator, device);
      if (start.picture.defined()) mosaic_start(values, start.picture.to(device, torch::kFloat));
      for (const auto& tensor : values) values_.push_back(drawers::leaf(tensor, device));
    }
  }

  DrawerKind kind() const override { return DrawerKind::kVector; }
  std::vector<torch::Tensor> parameters() const override { return values_; }
  torch::Tensor draw(Precision) override { return rasterise(softness_); }
  torch::Tensor picture() override {
    torch::NoGradGuard no_grad;
    return rasterise(softness_);
  }

  void project() override {
    torch::NoGradGuard no_grad;
    const double limit = (1 + kPointMargin) / kPointScale;
    const double low = -kPointMargin / kPointScale;
    if (has_shapes()) values_[kShapePoints].clamp_(low, limit);
    if (has_strokes()) {
      values_[stroke_index(kStrokePoints)].clamp_(low, limit);
      values_[stroke_index(kStrokeWidths)].clamp_(kThinnest, kWidthRange * settings_.stroke_width);
    }
  }

  void set_progress(double fraction_done) override {
    // Geometric: the softness falls by the same factor every step.
    const double start = std::max(settings_.softness, kFinalSoftness);
    softness_ = start * std::pow(kFinalSoftness / start, std::clamp(fraction_done, 0.0, 1.0));
  }

  std::string svg() const override {
    torch::NoGradGuard no_grad;
    const auto w = std::to_string(width_);
    const auto h = std::to_string(height_);
    std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                       w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\">\n";
    text += "<rect width=\"" + w + "\" height=\"" + h + "\" fill=\"" +
            hex_colour(torch::sigmoid(values_[background_index()])) + "\"/>\n";
    if (has_shapes()) {
      const auto points = values_[kShapePoints] * to_pixels_;
      const auto colours = torch::sigmoid(values_[kShapeColours]);
      for (int64_t i = 0; i < settings_.shapes; ++i) {
        text += "<path d=\"" + drawers::svg_path_data(points[i], settings_.segments, true) + "\" fill=\"" +
                hex_colour(colours[i].narrow(0, 0, 3)) + "\" fill-opacity=\"" + decimal(colours[i][3].item<double>()) +
                "\" fill-rule=\"evenodd\"/>\n";
      }
    }
    if (has_strokes()) {
      const auto points = values_[stroke_index(kStrokePoints)] * to_pixels_;
      const auto colours = torch::sigmoid(values_[stroke_index(kStrokeColours)]);
      const auto widths = values_[stroke_index(kStrokeWidths)];
      for (int64_t i = 0; i < settings_.strokes; ++i) {
        text += "<path d=\"" + drawers::svg_path_data(points[i], settings_.segments, false) +
                "\" fill=\"none\" stroke=\"" + hex_colour(colours[i].narrow(0, 0, 3)) + "\" stroke-opacity=\"" +
                decimal(colours[i][3].item<double>()) + "\" stroke-width=\"" + decimal(widths[i].item<double>()) +
                "\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n";
      }
    }
    return text + "</svg>\n";
  }

 private:
  // The parameter tensors, in this order, the shapes' or the strokes' left
  // out when there are none (an empty tensor would make a mean NaN).
  enum ShapeTensor { kShapePoints, kShapeColours };
  enum StrokeTensor { kStrokePoints, kStrokeColours, kStrokeWidths };
  bool has_shapes() const { return settings_.shapes > 0; }
  bool has_strokes() const { return settings_.strokes > 0; }
  size_t stroke_index(StrokeTensor which) const { return (has_shapes() ? 2 : 0) + which; }
  size_t background_index() const { return (has_shapes() ? 2 : 0) + (has_strokes() ? 3 : 0); }

  std::vector<std::vector<int64_t>> shapes() const {
    const int64_t shape_points = drawers::control_point_count(settings_.segments, true);
    const int64_t stroke_points = drawers::control_point_count(settings_.segments, false);
    std::vector<std::vector<int64_t>> list;
    if (has_shapes()) list.insert(list.end(), {{settings_.shapes, shape_points, 2}, {settings_.shapes, 4}});
    if (has_strokes()) {
      list.insert(list.end(), {{settings_.strokes, stroke_points, 2}, {settings_.strokes, 4}, {settings_.strokes}});
    }
    list.push_back({3});
    return list;
  }

  // The picture with edge ramps `softness` pixels wide.
  torch::Tensor rasterise(double softness) const {
    std::vector<torch::Tensor> alphas;
    std::vector<torch::Tensor> colours;
    if (has_shapes()) {
      const auto outline = drawers::flatten_paths(values_[kShapePoints] * to_pixels_, settings_.segments, true);
      const auto distance = drawers::signed_distance(outline, pixels_, true);
      const auto colour = torch::sigmoid(values_[kShapeColours]);
      alphas.push_back(drawers::coverage(distance, softness) * colour.narrow(1, 3, 1));
      colours.push_back(colour.narrow(1, 0, 3));
    }
    if (has_strokes()) {
      const auto line =
          drawers::flatten_paths(values_[stroke_index(kStrokePoints)] * to_pixels_, settings_.segments, false);
      const auto half_width = values_[stroke_index(kStrokeWidths)].unsqueeze(1) / 2;
      const auto distance = drawers::signed_distance(line, pixels_, false) - half_width;
      const auto colour = torch::sigmoid(values_[stroke_index(kStrokeColours)]);
      alphas.push_back(drawers::coverage(distance, softness) * colour.narrow(1, 3, 1));
      colours.push_back(colour.narrow(1, 0, 3));
    }
    return drawers::composite(torch::cat(alphas), torch::cat(colours), torch::sigmoid(values_[background_index()]),
                              width_, height_);
  }

  // Circles of random centres and radii, random walks, random colours; every
  // draw from `generator`, in a fixed order.
  std::vector<torch::Tensor> random_start(at::Generator& generator, const c10::Device& device) const {
    const auto options = torch::TensorOptions().device(device);
    std::vector<torch::Tensor> values;
    if (has_shapes()) {
      const int64_t count = drawers::control_point_count(settings_.segments, true);
      const auto centres = torch::rand({settings_.shapes, 1, 2}, generator, options);
      const auto radii = kSmallestRadius + (kLargestRadius - kSmallestRadius) *
                                               torch::rand({settings_.shapes, 1, 1}, generator, options);
      const auto angles = torch::arange(count, options).mul(2 * M_PI / count);
      const auto circle = torch::stack({torch::cos(angles), torch::sin(angles)}, 1).unsqueeze(0);  // [1, count, 2]
      values.push_back((centres + radii * circle) / kPointScale);
      auto colours = torch::randn({settings_.shapes, 4}, generator, options);
      colours.index({Slice(), 3}).mul_(0.5).add_(1);  // opacities about sigmoid(1) = 0.73
      values.push_back(colours);
    }
    if (has_strokes()) {
      const int64_t count = drawers::control_point_count(settings_.segments, false);
      const auto starts = torch::rand({settings_.strokes, 1, 2}, generator, options);
      const auto steps = torch::randn({settings_.strokes, count - 1, 2}, generator, options) * kStrokeStep;
      const auto walk = torch::cat({starts, starts + steps.cumsum(1)}, 1).clamp(0, 1);
      values.push_back(walk / kPointScale);
      auto colours = torch::randn({settings_.strokes, 4}, generator, options);
      colours.index({Slice(), 3}).mul_(0.5).add_(2);  // opacities about 0.88
      values.push_back(colours);
      values.push_back(torch::full({settings_.strokes}, settings_.stroke_width, options));
    }
    values.push_back(torch::randn({3}, generator, options) * 0.5);
    return values;
  }

  // A start picture as a mosaic: the background its mean colour, the first
  // columns x rows shapes opaque rectangles of its cells' mean colours (exact
  // with 4 or more curves a shape: each side gets whole curves), the other
  // shapes and every stroke made invisible where they lie.
  void mosaic_start(std::vector<torch::Tensor>& values, const torch::Tensor& picture) const {
    values[background_index()] = drawers::logit(picture.mean({0, 2, 3}));
    if (has_strokes()) values[stroke_index(kStrokeColours)].index_put_({Slice(), 3}, kInvisible);
    if (!has_shapes()) return;
    const int64_t columns = std::clamp<int64_t>(
        std::lround(std::floor(std::sqrt(settings_.shapes * static_cast<double>(width_) / height_))), 1,
        std::min<int64_t>(settings_.shapes, width_));
    const int64_t rows = std::clamp<int64_t>(settings_.shapes / columns, 1, height_);
    auto& points = values[kShapePoints];
    auto& colours = values[kShapeColours];
    colours.index_put_({Slice(), 3}, kInvisible);
    for (int64_t row = 0; row < rows; ++row) {
      for (int64_t column = 0; column < columns; ++column) {
        const int64_t x0 = width_ * column / columns, x1 = width_ * (column + 1) / columns;
        const int64_t y0 = height_ * row / rows, y1 = height_ * (row + 1) / rows;
        const int64_t shape = row * columns + column;
        points[shape].copy_(rectangle(x0, y0, x1, y1, points.device()));
        const auto cell = picture.index({0, Slice(), Slice(y0, y1), Slice(x0, x1)}).mean({1, 2});
        colours[shape].narrow(0, 0, 3).copy_(drawers::logit(cell));
        colours[shape][3].fill_(kOpaque);
      }
    }
  }

  // Control points [3 x segments, 2] (parameter units) of a rectangle in
  // pixels, corners at curve ends where the segments allow, straight curves.
  torch::Tensor rectangle(int64_t x0, int64_t y0, int64_t x1, int64_t y1, const c10::Device& device) const {
    const double corners[5][2] = {{double(x0), double(y0)}, {double(x1), double(y0)}, {double(x1), double(y1)},
                                  {double(x0), double(y1)}, {double(x0), double(y0)}};
    std::vector<std::array<double, 2>> ends;  // each curve's start, in order
    for (int side = 0; side < 4; ++side) {
      const int pieces = settings_.segments / 4 + (side < settings_.segments % 4 ? 1 : 0);
      for (int piece = 0; piece < pieces; ++piece) {
        const double f = static_cast<double>(piece) / pieces;
        ends.push_back({corners[side][0] + f * (corners[side + 1][0] - corners[side][0]),
                        corners[side][1] + f * (corners[side + 1][1] - corners[side][1])});
      }
    }
    std::vector<float> coordinates;
    for (size_t i = 0; i < ends.size(); ++i) {
      const auto& from = ends[i];
      const auto& to = ends[(i + 1) % ends.size()];
      for (int third = 0; third < 3; ++third) {
        for (int axis = 0; axis < 2; ++axis) {
          const double value = from[axis] + third * (to[axis] - from[axis]) / 3;
          coordinates.push_back(static_cast<float>(value / ((axis == 0 ? width_ : height_) * kPointScale)));
        }
      }
    }
    return torch::tensor(coordinates, torch::kFloat).view({-1, 2}).to(device);
  }

  VectorSettings settings_;
  int64_t width_;
  int64_t height_;
  double softness_;
  torch::Tensor pixels_;     // pixel centres [H x W, 2]
  torch::Tensor to_pixels_;  // parameter units -> pixels, (x, y)
  std::vector<torch::Tensor> values_;
};

}  // namespace

namespace drawers {

std::unique_ptr<Drawer> make_vector(const VectorSettings& settings, int width, int height, const c10::Device& device,
                                    const DrawerStart& start, at::Generator& generator) {
  return std::make_unique<VectorDrawer>(settings, width, height, device, start, generator);
}

}  // namespace drawers
}  // namespace vqclip
