#pragma once
// What one optimisation step's tensors cost at their peak, as measured on a
// bundle (memory_estimate.hpp; docs/architecture.md, "Memory estimate").
#include <cstdint>

namespace vqclip {

// Peak bytes of one part of a step as a function of its size.
struct PeakFit {
  double fixed_bytes = 0;
  double bytes_per_pixel = 0;      // of the picture: activations kept for the backward pass
  double bytes_per_cell_pair = 0;  // attention over the latent grid: ((W/f) * (H/f))^2 pairs
  double bytes_per_cutout = 0;     // one view through the augmentations and CLIP's image encoder

  double at(double pixels, double cells, int cutn) const;
};

// A step peaks either before the gradient reaches the picture (the forward
// pass and CLIP's backward, while every decoder activation waits) or after it
// (the decoder's backward, CLIP's side freed); each side is fitted on its own.
struct MemoryCosts {
  PeakFit views_side;
  PeakFit decoder_side;
  int downsample_factor = 1;  // f

  // Peak bytes of one step at width x height with cutn views.
  int64_t peak_bytes(int width, int height, int cutn) const;
};

}  // namespace vqclip
