#include <algorithm>
#include <array>
#include <sstream>
#include <utility>

#include "render/augmentations.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

using AugmentFlag = bool AugmentSet::*;

// Names in the order to_string prints them.
constexpr std::array<std::pair<const char*, AugmentFlag>, 6> kAugmentNames{{
    {"affine", &AugmentSet::affine},
    {"perspective", &AugmentSet::perspective},
    {"jitter", &AugmentSet::jitter},
    {"erasing", &AugmentSet::erasing},
    {"flip", &AugmentSet::flip},
    {"noise", &AugmentSet::noise},
}};

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

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
                               const torch::TensorOptions& options) {
  const double max_side = static_cast<double>(std::min(width, height));
  const double min_side = std::min(max_side, static_cast<double>(resolution));
  const auto draws = torch::rand({n, 3}, options);
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

AugmentSet parse_augments(const std::string& list) {
  AugmentSet set;
  if (trimmed(list) == "none") return set;
  std::stringstream stream(list);
  std::string raw;
  while (std::getline(stream, raw, ',')) {
    const auto item = trimmed(raw);
    const auto known = std::find_if(kAugmentNames.begin(), kAugmentNames.end(),
                                    [&item](const auto& entry) { return item == entry.first; });
    if (known == kAugmentNames.end()) {
      throw UsageError("--augment: unknown augmentation '" + item +
                       "' in '" + list + "' (expected a comma list of affine, perspective, jitter, erasing, flip, "
                       "noise, or none alone)");
    }
    set.*(known->second) = true;
  }
  return set;
}

std::string to_string(const AugmentSet& set) {
  std::string list;
  for (const auto& [name, flag] : kAugmentNames) {
    if (set.*flag) list += (list.empty() ? "" : ",") + std::string(name);
  }
  return list.empty() ? "none" : list;
}

torch::Tensor make_cutouts(const torch::Tensor& image, int resolution, const CutoutSettings& settings) {
  namespace F = torch::nn::functional;
  check_arguments(image, resolution, settings);
  const int64_t n = settings.cutn;
  const auto& augments = settings.augments;
  const auto options = parameter_options(image);

  torch::Tensor views;
  if (settings.method == CutMethod::kCrops) {
    const auto crops = random_crop_maps(n, image.size(3), image.size(2), resolution, settings.cut_pow, options);
    // A view point goes back through the augmentations, then into its crop.
    views = sample_views(image, torch::bmm(crops, random_view_maps(n, augments, options)), resolution);
  } else {
    const std::vector<int64_t> size{resolution, resolution};
    const auto pooled = (F::adaptive_avg_pool2d(image, F::AdaptiveAvgPool2dFuncOptions(size)) +
                         F::adaptive_max_pool2d(image, F::AdaptiveMaxPool2dFuncOptions(size))) /
                        2;
    views = has_geometry(augments) ? sample_views(pooled, random_view_maps(n, augments, options), resolution)
                                   : pooled.expand({n, -1, -1, -1});
  }
  if (augments.jitter) views = colour_jitter(views);
  if (augments.erasing) views = random_erasing(views);
  // Noise last and unclamped, as the peers do.
  if (augments.noise) views = add_noise(views, settings.noise_max);
  return views;
}

}  // namespace vqclip
