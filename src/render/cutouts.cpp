#include <algorithm>
#include <sstream>

#include "render/augmentations.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

void check_arguments(const torch::Tensor& image, int resolution, const CutoutSettings& settings) {
  if (image.dim() == 4 && image.size(0) == 1 && resolution > 0 && settings.cutn > 0) return;
  std::ostringstream message;
  message << "make_cutouts: expected an image [1, C, H, W], a resolution and cutn above 0, found " << image.sizes()
          << ", " << resolution << " and " << settings.cutn;
  throw InternalError(message.str());
}

// Sampling maps [n, 3, 3] of random square crops of a width x height picture:
// side = rand^cut_pow * (max_side - min_side) + min_side, random offset, from
// view coordinates to the picture's normalised coordinates.
torch::Tensor random_crop_maps(int64_t n, int64_t width, int64_t height, int64_t resolution, double cut_pow,
                               const torch::TensorOptions& options, at::Generator& generator) {
  const double max_side = static_cast<double>(std::min(width, height));
  const double min_side = std::min(max_side, static_cast<double>(resolution));
  const auto draws = torch::rand({n, 3}, generator, options);
  const auto side = draws.select(1, 0).pow(cut_pow) * (max_side - min_side) + min_side;
  const auto left = draws.select(1, 1) * (static_cast<double>(width) - side);
  const auto top = draws.select(1, 2) * (static_cast<double>(height) - side);
  // View [-1, 1] -> pixels [left, left + side] -> normalised 2 * pixel / width - 1.
  const auto zero = torch::zeros({n}, options), one = torch::ones({n}, options);
  return torch::stack({side / width, zero, (2 * left + side) / width - 1,  //
                       zero, side / height, (2 * top + side) / height - 1,  //
                       zero, zero, one},
                      1)
      .view({n, 3, 3});
}

}  // namespace

torch::Tensor make_cutouts(const torch::Tensor& image, int resolution, const CutoutSettings& settings,
                           at::Generator& generator) {
  namespace F = torch::nn::functional;
  check_arguments(image, resolution, settings);
  const int64_t n = settings.cutn;
  const auto& augments = settings.augments;
  const auto options = parameter_options(image);

  torch::Tensor views;
  if (settings.method == CutMethod::kCrops) {
    const auto crops = random_crop_maps(n, image.size(3), image.size(2), resolution, settings.cut_pow, options, generator);
    // A view point goes back through the augmentations, then into its crop.
    views = sample_views(image, torch::bmm(crops, random_view_maps(n, augments, options, generator)), resolution);
  } else {
    const std::vector<int64_t> size{resolution, resolution};
    const auto pooled = (F::adaptive_avg_pool2d(image, F::AdaptiveAvgPool2dFuncOptions(size)) +
                         F::adaptive_max_pool2d(image, F::AdaptiveMaxPool2dFuncOptions(size))) /
                        2;
    views = has_geometry(augments) ? sample_views(pooled, random_view_maps(n, augments, options, generator), resolution)
                                   : pooled.expand({n, -1, -1, -1});
  }
  if (augments.jitter) views = colour_jitter(views, generator);
  if (augments.erasing) views = random_erasing(views, generator);
  // Noise last and unclamped, as the peers do.
  if (augments.noise) views = add_noise(views, settings.noise_max, generator);
  return views;
}

}  // namespace vqclip
