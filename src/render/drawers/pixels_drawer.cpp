// The pixels drawer: the picture itself, optionally as a Fourier spectrum
// scaled towards low frequencies and in a decorrelated colour space, through
// a sigmoid into [0, 1] (the parameterisation of the Lucid / big-sleep family
// and pixray's fft drawer; docs/architecture.md, "Drawers").
#include <cmath>

#include "render/drawers/drawer_parts.hpp"
#include "render/drawers/drawers.hpp"

namespace vqclip {
namespace {

// The square root of ImageNet's colour correlation (Lucid's measured
// color_correlation_svd_sqrt), divided by its largest column norm: a
// decorrelated value times this is an RGB logit.
torch::Tensor colour_correlation(const c10::Device& device) {
  const auto matrix = torch::tensor({0.26f, 0.09f, 0.02f, 0.27f, 0.00f, -0.05f, 0.27f, -0.09f, 0.03f}).view({3, 3});
  return (matrix / matrix.norm(2, {0}).max()).to(device);
}

// 1 / max(frequency, 1 / max(H, W))^decay for rfft2's [H, W/2 + 1] layout,
// divided by its root mean square, so that a spectrum of unit values makes
// pixels of about unit size at every decay.
torch::Tensor spectrum_scale(int width, int height, double decay, const c10::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  const auto fy = torch::fft::fftfreq(height, options).view({height, 1});
  const auto fx = torch::fft::rfftfreq(width, options).view({1, width / 2 + 1});
  const auto frequency = torch::sqrt(fx * fx + fy * fy);
  const auto scale = torch::pow(torch::clamp_min(frequency, 1.0 / std::max(width, height)), -decay);
  return (scale / scale.square().mean().sqrt()).view({1, 1, height, width / 2 + 1, 1}).to(device);
}

// Random values' size: a start close to grey that still breaks symmetry.
constexpr double kInitialSpread = 0.01;

class PixelsDrawer final : public Drawer {
 public:
  PixelsDrawer(const PixelsSettings& settings, int width, int height, const c10::Device& device,
               const DrawerStart& start, at::Generator& generator)
      : settings_(settings), width_(width), height_(height) {
    if (settings_.colour == PixelsColour::kDecorrelated) correlation_ = colour_correlation(device);
    if (fourier()) scale_ = spectrum_scale(width, height, settings_.decay, device);
    const auto shape = parameter_shape();
    if (!start.parameters.empty()) {
      values_ = drawers::adopt_parameters(start.parameters, {shape}, device, "pixels")[0];
    } else if (start.picture.defined()) {
      values_ = drawers::leaf(from_picture(start.picture.to(device, torch::kFloat)), device);
    } else {
      values_ = drawers::leaf(
          torch::randn(shape, generator, torch::TensorOptions().device(device)) * kInitialSpread, device);
    }
  }

  DrawerKind kind() const override { return DrawerKind::kPixels; }
  std::vector<torch::Tensor> parameters() const override { return {values_}; }
  torch::Tensor draw(Precision) override { return to_picture(values_); }
  torch::Tensor picture() override {
    torch::NoGradGuard no_grad;
    return to_picture(values_);
  }

 private:
  bool fourier() const { return settings_.space == PixelsSpace::kFourier; }
  std::vector<int64_t> parameter_shape() const {
    if (fourier()) return {1, 3, height_, width_ / 2 + 1, 2};  // real and imaginary parts
    return {1, 3, height_, width_};
  }

  // Parameters -> logits in RGB -> picture.
  torch::Tensor to_picture(const torch::Tensor& values) const {
    auto logits = values;
    if (fourier()) {
      const auto spectrum = torch::view_as_complex(values * scale_);
      logits = torch::fft::irfft2(spectrum, std::vector<int64_t>{height_, width_}, {-2, -1}, "ortho");
    }
    if (correlation_.defined()) logits = torch::einsum("ij,bjhw->bihw", {correlation_, logits});
    return torch::sigmoid(logits);
  }

  // The inverse of to_picture, up to the logit's clamp.
  torch::Tensor from_picture(const torch::Tensor& picture) const {
    auto logits = drawers::logit(picture);
    if (correlation_.defined()) logits = torch::einsum("ij,bjhw->bihw", {torch::inverse(correlation_), logits});
    if (!fourier()) return logits;
    const auto spectrum = torch::fft::rfft2(logits, std::vector<int64_t>{height_, width_}, {-2, -1}, "ortho");
    return torch::view_as_real(spectrum) / scale_;
  }

  PixelsSettings settings_;
  int64_t width_;
  int64_t height_;
  torch::Tensor correlation_;  // undefined: RGB
  torch::Tensor scale_;        // undefined: pixel space
  torch::Tensor values_;
};

}  // namespace

namespace drawers {

std::unique_ptr<Drawer> make_pixels(const PixelsSettings& settings, int width, int height, const c10::Device& device,
                                    const DrawerStart& start, at::Generator& generator) {
  return std::make_unique<PixelsDrawer>(settings, width, height, device, start, generator);
}

}  // namespace drawers
}  // namespace vqclip
