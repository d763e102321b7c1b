#include <sstream>

#include "render/augmentations.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

// Placement of each crop in the picture's normalised coordinates: [n, 2, 3].
torch::Tensor random_crops(int64_t n, int64_t width, int64_t height, int64_t resolution, double cut_pow,
                           const torch::TensorOptions& options) {
  const double max_side = static_cast<double>(std::min(width, height));
  const double min_side = std::min<double>(max_side, static_cast<double>(resolution));
  const auto side = torch::rand({n}, options).pow(cut_pow) * (max_side - min_side) + min_side;
  const auto left = torch::rand({n}, options) * (width - side);
  const auto top = torch::rand({n}, options) * (height - side);
  auto placement = torch::zeros({n, 2, 3}, options);
  placement.select(1, 0).select(1, 0).copy_(side / width);
  placement.select(1, 0).select(1, 2).copy_((left + side / 2) * 2 / width - 1);
  placement.select(1, 1).select(1, 1).copy_(side / height);
  placement.select(1, 1).select(1, 2).copy_((top + side / 2) * 2 / height - 1);
  return placement;
}

torch::Tensor whole_view(int64_t n, const torch::TensorOptions& options) {
  return torch::eye(3, options).narrow(0, 0, 2).unsqueeze(0).repeat({n, 1, 1});
}

}  // namespace

AugmentSet parse_augments(const std::string& list) {
  AugmentSet set;
  if (list == "none" || list.empty()) return set;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item == "affine") set.affine = true;
    else if (item == "perspective") set.perspective = true;
    else if (item == "jitter") set.jitter = true;
    else if (item == "erasing") set.erasing = true;
    else if (item == "flip") set.flip = true;
    else if (item == "noise") set.noise = true;
    else {
      throw UsageError("--augment: unknown augmentation '" + item +
                       "' (expected affine, perspective, jitter, erasing, flip, noise or none)");
    }
  }
  return set;
}

std::string to_string(const AugmentSet& set) {
  std::string list;
  const auto add = [&list](bool on, const char* name) {
    if (on) list += (list.empty() ? "" : ",") + std::string(name);
  };
  add(set.affine, "affine");
  add(set.perspective, "perspective");
  add(set.jitter, "jitter");
  add(set.erasing, "erasing");
  add(set.flip, "flip");
  add(set.noise, "noise");
  return list.empty() ? "none" : list;
}

torch::Tensor make_cutouts(const torch::Tensor& image, int resolution, const CutoutSettings& settings) {
  namespace F = torch::nn::functional;
  const int64_t n = settings.cutn;
  const auto options = image.options();
  const auto geometry = random_geometry(n, settings.augments, options);
  const bool geometric = settings.augments.affine || settings.augments.perspective || settings.augments.flip;

  torch::Tensor views;
  if (settings.method == CutMethod::kPooled) {
    const std::vector<int64_t> size{resolution, resolution};
    const auto pooled = (F::adaptive_avg_pool2d(image, F::AdaptiveAvgPool2dFuncOptions(size)) +
                         F::adaptive_max_pool2d(image, F::AdaptiveMaxPool2dFuncOptions(size))) / 2;
    views = geometric ? sample_views(pooled, geometry, whole_view(n, options), resolution)
                      : pooled.expand({n, pooled.size(1), resolution, resolution});
  } else {
    const auto placement = random_crops(n, image.size(3), image.size(2), resolution, settings.cut_pow, options);
    views = sample_views(image, geometry, placement, resolution);
  }
  if (settings.augments.jitter) views = colour_jitter(views);
  if (settings.augments.erasing) views = random_erasing(views);
  if (settings.augments.noise) views = add_noise(views, settings.noise_max);
  return views;
}

}  // namespace vqclip
