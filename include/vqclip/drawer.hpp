#pragma once
// The image-model seam (docs/architecture.md, "Drawers"): what the loop
// optimises and how it becomes a picture. RenderLoop steps any Drawer; the
// factory builds the one the parameters name, from random values, a picture
// (an init image, a first pass, an animation's previous frame) or saved
// parameters (a state file).
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "vqclip/context_params.hpp"
#include "vqclip/drawer_settings.hpp"
#include "vqclip/models.hpp"

namespace vqclip {

class Drawer {
 public:
  virtual ~Drawer() = default;
  virtual DrawerKind kind() const = 0;
  // The tensors the optimiser moves: float32 leaves that require gradients,
  // on the models' device. Their shapes are fixed for the drawer's life.
  virtual std::vector<torch::Tensor> parameters() const = 0;
  // The picture [1, 3, H, W] in [0, 1], differentiable with respect to
  // parameters(); `precision` is the run's (autocast where a module runs).
  virtual torch::Tensor draw(Precision precision) = 0;
  // The picture as kept (previews, the final picture): no gradients, float32.
  virtual torch::Tensor picture() = 0;
  // After each optimiser step: the parameters brought back into their domain.
  virtual void project() {}
  // Before each step's draw: how far the run is, 0 at its first step and 1 at
  // its last, for drawers that anneal (the vector drawer's edge softness). A
  // function of the step alone, so a resumed run draws as the uninterrupted one.
  virtual void set_progress(double /*fraction_done*/) {}
  // The picture as an SVG document, for drawers with a vector form (the
  // vector drawer); empty for the others.
  virtual std::string svg() const { return {}; }
};

// Where a drawer starts. At most one is set; neither: random values drawn
// from the run's generator.
struct DrawerStart {
  torch::Tensor picture;                  // [1, 3, H, W] in [0, 1] at the drawer's size
  std::vector<torch::Tensor> parameters;  // exactly these (a saved state), shapes as parameters() gives
};

// The drawer `drawer` names (resolved), for a width x height picture (a
// multiple of size_multiple()). Throws BundleError when a part it needs is not
// loaded (the VQGAN, or its encoder to start from a picture), InputError when
// saved parameters do not fit.
std::unique_ptr<Drawer> make_drawer(Models& models, const DrawerSettings& drawer, int width, int height,
                                    const DrawerStart& start, at::Generator& generator);

// The VQGAN drawer over a given latent [1, C, h, w] (benchmarks, tests).
std::unique_ptr<Drawer> make_vqgan_drawer(const VqganModel& vqgan, const torch::Tensor& latent);

}  // namespace vqclip
