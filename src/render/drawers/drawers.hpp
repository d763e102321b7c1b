#pragma once
// Each drawer's constructor, for the factory (drawer.cpp).
#include "vqclip/drawer.hpp"

namespace vqclip::drawers {

std::unique_ptr<Drawer> make_vqgan(Models& models, int width, int height, const DrawerStart& start,
                                   at::Generator& generator);
std::unique_ptr<Drawer> make_pixels(const PixelsSettings& settings, int width, int height, const c10::Device& device,
                                    const DrawerStart& start, at::Generator& generator);
std::unique_ptr<Drawer> make_pixel_art(const PixelArtSettings& settings, int width, int height,
                                       const c10::Device& device, const DrawerStart& start, at::Generator& generator);
std::unique_ptr<Drawer> make_vector(const VectorSettings& settings, int width, int height, const c10::Device& device,
                                    const DrawerStart& start, at::Generator& generator);

}  // namespace vqclip::drawers
