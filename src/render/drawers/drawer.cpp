// The drawer factory (drawer.hpp).
#include "vqclip/drawer.hpp"

#include "render/drawers/drawers.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {

std::unique_ptr<Drawer> make_drawer(Models& models, const DrawerSettings& drawer, int width, int height,
                                    const DrawerStart& start, at::Generator& generator) {
  if (start.picture.defined() && !start.parameters.empty()) {
    throw InternalError("make_drawer: a start picture and saved parameters at once");
  }
  switch (drawer.resolved_kind()) {
    case DrawerKind::kVqgan:
      return drawers::make_vqgan(models, width, height, start, generator);
    case DrawerKind::kPixels:
      return drawers::make_pixels(drawer.pixels, width, height, models.device, start, generator);
    case DrawerKind::kPixelArt:
      return drawers::make_pixel_art(drawer.pixel_art, width, height, models.device, start, generator);
    case DrawerKind::kVector:
      return drawers::make_vector(drawer.vector, width, height, models.device, start, generator);
  }
  throw InternalError("make_drawer: unknown drawer");
}

}  // namespace vqclip
