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
  double bytes_per_cutout = 0;     // one view through the augmentations (and CLIP, all views in one batch)
  double bytes_per_batch_view = 0; // micro-batched: one view of a batch through CLIP's image encoder

  double at(double pixels, double cells, int cutn, int batch) const;
};

// A step peaks either before the gradient reaches the picture (the forward
// pass and CLIP's backward, while every decoder activation waits) or after it
// (the decoder's backward, CLIP's side freed); each side is fitted on its own,
// once for all views in one CLIP batch and once for micro-batches.
struct MemoryCosts {
  PeakFit views_side;
  PeakFit decoder_side;
  PeakFit batched_views_side;
  PeakFit batched_decoder_side;
  int downsample_factor = 1;  // f: the side of one probe unit, a VQGAN latent cell (8 pixels or more for other drawers)

  // Peak bytes of one step at width x height with cutn views, `batch` of them
  // at a time through CLIP (0 or cutn: all at once).
  int64_t peak_bytes(int width, int height, int cutn, int batch = 0) const;
  // The most views per micro-batch whose step fits in `budget_bytes`: cutn
  // when all fit at once, 0 when not even one view a batch does.
  int largest_batch(int width, int height, int cutn, int64_t budget_bytes) const;
};

}  // namespace vqclip
