#include "vqclip/drawer_settings.hpp"

#include <cmath>
#include <string>

#include "params/value_checks.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/limits.hpp"

namespace vqclip {
namespace {

using checks::number;
using checks::require_range;

}  // namespace

void validate(const DrawerSettings& drawer) {
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      return;
    case DrawerKind::kPixels:
      if (!(drawer.pixels.decay >= 0 && drawer.pixels.decay <= 4)) {
        throw ParameterError("pixels_decay", number(drawer.pixels.decay) + ": expected 0 to 4");
      }
      return;
    case DrawerKind::kPixelArt: {
      const auto& art = drawer.pixel_art;
      require_range("pixel_cell", art.cell, 1, limits::kMaxSide / 2);
      if (art.grid) {
        require_range("pixel_grid", (*art.grid)[0], 1, limits::kMaxSide);
        require_range("pixel_grid", (*art.grid)[1], 1, limits::kMaxSide);
      }
      if (art.palette != 0) require_range("palette", art.palette, 2, 256);
      return;
    }
  }
}

int size_multiple(const DrawerSettings& drawer, const Manifest& manifest) {
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      return manifest.vqgan.downsample_factor;
    case DrawerKind::kPixels:
      return 1;
    case DrawerKind::kPixelArt:
      return drawer.pixel_art.cell;
  }
  return 1;
}

}  // namespace vqclip
