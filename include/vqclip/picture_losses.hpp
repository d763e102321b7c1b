#pragma once
// pixray's extra losses on the drawn picture, each off (weight 0) by default
// (docs/architecture.md, "Picture losses"): smoothness, left-right symmetry,
// saturation, a pull towards given colours, and a border of one colour.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vqclip {

using Colour = std::array<float, 3>;  // RGB in [0, 1]

// "#rrggbb" or "#rgb" (the '#' optional); nothing when it is neither.
std::optional<Colour> parse_colour(const std::string& text);
// "#rrggbb".
std::string colour_text(const Colour& colour);

struct PictureLosses {
  double smoothness = 0;  // total variation: mean squared difference of neighbouring pixels
  double symmetry = 0;    // mean squared difference between the picture and its mirror image
  double saturation = 0;  // minus the mean saturation (largest minus smallest channel): > 0 wants colour
  std::vector<Colour> colours;  // each pixel is pulled towards the nearest of these ...
  double colour_weight = 0;     // ... with this weight
  std::optional<Colour> edge_colour;  // the border is pulled towards this colour ...
  double edge_weight = 0;             // ... with this weight
  int edge_width = 0;                 // pixels of border; 0 = a sixteenth of the shorter side, at least 1

  bool any() const {
    return smoothness != 0 || symmetry != 0 || saturation != 0 || colour_weight != 0 || edge_weight != 0;
  }
};

// Throws ParameterError naming the field: weights must be finite (smoothness,
// symmetry and the pulls not negative), a pull's weight needs its colours.
void validate(const PictureLosses& losses);

// The fields in to_json's generation form (generation_from_json reads them back).
void add_picture_loss_fields(nlohmann::json& json, const PictureLosses& losses);

}  // namespace vqclip
