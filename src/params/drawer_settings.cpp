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
    case DrawerKind::kVector: {
      const auto& vector = drawer.vector;
      require_range("shapes", vector.shapes, 0, limits::kMaxVectorPaths);
      require_range("strokes", vector.strokes, 0, limits::kMaxVectorPaths);
      if (vector.shapes + vector.strokes == 0) throw ParameterError("shapes", "0 with {strokes} 0: nothing to draw", {"strokes"});
      require_range("segments", vector.segments, 1, 16);
      if (!(vector.stroke_width >= 0.5 && vector.stroke_width <= 64)) {
        throw ParameterError("stroke_width", number(vector.stroke_width) + ": expected 0.5 to 64 pixels");
      }
      if (!(vector.softness >= 1 && vector.softness <= 16)) {
        throw ParameterError("vector_softness", number(vector.softness) + ": expected 1 to 16 pixels");
      }
      return;
    }
  }
}

DrawerKind default_drawer(const Manifest& manifest) {
  return manifest.vqgan ? DrawerKind::kVqgan : DrawerKind::kPixels;
}

int size_multiple(const DrawerSettings& drawer, const Manifest& manifest) {
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      if (!manifest.vqgan) throw BundleError(no_vqgan_message(manifest));
      return manifest.vqgan->downsample_factor;
    case DrawerKind::kPixels:
    case DrawerKind::kVector:
      return 1;
    case DrawerKind::kPixelArt:
      return drawer.pixel_art.cell;
  }
  return 1;
}

}  // namespace vqclip
