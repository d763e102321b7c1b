#pragma once
// What is drawn and optimised (docs/architecture.md, "Drawers"): the VQGAN
// latent, the picture's own pixels, pixel art, or vector shapes and strokes;
// one option group each, with
// its documented defaults. Part of GenerationParams.
#include <array>
#include <optional>

#include "vqclip/enum_names.hpp"

namespace vqclip {

struct Manifest;

enum class DrawerKind { kVqgan, kPixels, kPixelArt, kVector };

template <>
struct EnumTable<DrawerKind> {
  static constexpr std::array<EnumName<DrawerKind>, 4> names{{{DrawerKind::kVqgan, "vqgan"},
                                                              {DrawerKind::kPixels, "pixels"},
                                                              {DrawerKind::kPixelArt, "pixel-art"},
                                                              {DrawerKind::kVector, "vector"}}};
};

// The pixels drawer's colour space: decorrelated (ImageNet's colour
// correlation undone, so one parameter moves one independent colour
// component) or plain RGB.
enum class PixelsColour { kDecorrelated, kRgb };

template <>
struct EnumTable<PixelsColour> {
  static constexpr std::array<EnumName<PixelsColour>, 2> names{
      {{PixelsColour::kDecorrelated, "decorrelated"}, {PixelsColour::kRgb, "rgb"}}};
};

// The pixels drawer's space: a Fourier spectrum scaled towards low
// frequencies (smooth pictures come first), or the pixels themselves.
enum class PixelsSpace { kFourier, kPixel };

template <>
struct EnumTable<PixelsSpace> {
  static constexpr std::array<EnumName<PixelsSpace>, 2> names{
      {{PixelsSpace::kFourier, "fourier"}, {PixelsSpace::kPixel, "pixel"}}};
};

struct PixelsSettings {
  PixelsColour colour = PixelsColour::kDecorrelated;
  PixelsSpace space = PixelsSpace::kFourier;
  // Fourier space: each frequency's scale is 1 / frequency^decay. 2 measured better than 1 on
  // the shapes world (README, "Drawers"): backgrounds 92.5% right against 72.5%, less speckle.
  double decay = 2.0;
};

struct PixelArtSettings {
  int cell = 4;                    // pixels a cell side; the picture is a whole number of cells
  std::optional<std::array<int, 2>> grid;  // columns and rows: the cell then follows from the size
  int palette = 0;                 // colours of an optimised palette; 0 = every cell its own colour
};

// Closed filled paths and open strokes, each of `segments` cubic Bezier
// curves, drawn back to front over an optimised background colour.
struct VectorSettings {
  int shapes = 32;            // filled closed paths
  int strokes = 0;            // open paths drawn with a width, above the shapes
  int segments = 4;           // cubic Bezier curves a path
  double stroke_width = 2.0;  // pixels a stroke starts at; it is optimised within [0.5, 4 x this]
  double softness = 3.0;      // pixels an edge fades over at the first step, annealed to 1 at the last
};

struct DrawerSettings {
  std::optional<DrawerKind> kind;  // default (resolve): default_drawer(bundle)
  PixelsSettings pixels;
  PixelArtSettings pixel_art;
  VectorSettings vector;

  // Before resolve(), an unset kind counts as the VQGAN's.
  DrawerKind resolved_kind() const { return kind.value_or(DrawerKind::kVqgan); }
  bool is_vqgan() const { return resolved_kind() == DrawerKind::kVqgan; }
};

// Checks the chosen drawer's group; throws ParameterError naming the field.
void validate(const DrawerSettings& drawer);

// The drawer when none is asked for: the VQGAN's where the bundle has one,
// else pixels.
DrawerKind default_drawer(const Manifest& manifest);

// What a picture's sides must be a multiple of: the VQGAN's downsampling
// factor, a pixel-art cell, or 1 for pixels and vectors. Throws BundleError
// for the VQGAN's drawer and a bundle without a VQGAN.
int size_multiple(const DrawerSettings& drawer, const Manifest& manifest);

}  // namespace vqclip
