#pragma once
// How the loop cuts views out of the picture for CLIP, and which random
// augmentations each view gets (docs/architecture.md, "The loop").
#include <array>
#include <string>

#include "vqclip/enum_names.hpp"

namespace vqclip {

enum class CutMethod { kCrops, kPooled };

template <>
struct EnumTable<CutMethod> {
  static constexpr std::array<EnumName<CutMethod>, 2> names{{{CutMethod::kCrops, "crops"}, {CutMethod::kPooled, "pooled"}}};
};

struct AugmentSet {
  bool affine = false;       // rotate 15 deg, translate 0.1, shear 5 (p = 0.7)
  bool perspective = false;  // distortion 0.7 (p = 0.7)
  bool jitter = false;       // colour jitter 0.1 (p = 0.7)
  bool erasing = false;      // random erasing of 10-40% area (p = 0.7)
  bool flip = false;         // horizontal flip (p = 0.5)
  bool noise = false;        // additive noise, per-view factor uniform in [0, noise_max]

  bool operator==(const AugmentSet& other) const;
};

// The loop's default: everything but flip.
AugmentSet default_augments();

// Parses a comma list of affine,perspective,jitter,erasing,flip,noise or "none".
// Throws ParameterError (field "augments") naming the unknown item.
AugmentSet parse_augments(const std::string& list);
// The comma list parse_augments reads back ("none" for the empty set).
std::string to_string(const AugmentSet& set);
// "affine, perspective, jitter, erasing, flip, noise" for help texts.
std::string augment_names();

struct CutoutSettings {
  int cutn = 32;
  double cut_pow = 1.0;
  CutMethod method = CutMethod::kPooled;
  AugmentSet augments = default_augments();
  double noise_max = 0.1;
  // Views per CLIP micro-batch: their gradients are summed before the
  // optimiser's step, so fewer views are in memory at once. 0 = all cutn in one
  // batch, or as many as the memory budget allows (render() decides and records it).
  int batch = 0;
};

}  // namespace vqclip
