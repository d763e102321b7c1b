// The VQGAN drawer: the latent z is quantised (straight-through), decoded and
// clamped; after each step z is held to the codebook's per-channel bounds
// (docs/architecture.md, "The loop").
#include "render/drawers/drawers.hpp"

#include "render/drawers/drawer_parts.hpp"
#include "render/precision.hpp"
#include "vqclip/render_ops.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {

class VqganDrawer final : public Drawer {
 public:
  VqganDrawer(const VqganModel& vqgan, const torch::Tensor& latent)
      : decoder_(vqgan.decoder), codebook_(vqgan.codebook), z_(drawers::leaf(latent, vqgan.codebook.device())) {
    // Per-channel bounds of the codebook, the region the latent is kept in.
    z_min_ = std::get<0>(codebook_.min(0)).view({1, -1, 1, 1});
    z_max_ = std::get<0>(codebook_.max(0)).view({1, -1, 1, 1});
  }

  DrawerKind kind() const override { return DrawerKind::kVqgan; }
  std::vector<torch::Tensor> parameters() const override { return {z_}; }

  torch::Tensor draw(Precision precision) override {
    const auto z_q = quantize_straight_through(z_, codebook_);
    torch::Tensor decoded;
    {
      AutocastScope autocast(precision, z_.device());
      decoded = decoder_.forward({z_q}).toTensor();
    }
    return clamp_with_grad((decoded.to(torch::kFloat) + 1) / 2, 0.0, 1.0);
  }

  torch::Tensor picture() override {
    torch::NoGradGuard no_grad;
    const auto z_q = quantize_straight_through(z_, codebook_);
    return ((decoder_.forward({z_q}).toTensor().to(torch::kFloat) + 1) / 2).clamp(0, 1);
  }

  void project() override {
    torch::NoGradGuard no_grad;
    z_.copy_(torch::max(torch::min(z_, z_max_), z_min_));
  }

 private:
  torch::jit::Module decoder_;
  torch::Tensor codebook_;
  torch::Tensor z_;
  torch::Tensor z_min_;
  torch::Tensor z_max_;
};

}  // namespace

std::unique_ptr<Drawer> make_vqgan_drawer(const VqganModel& vqgan, const torch::Tensor& latent) {
  return std::make_unique<VqganDrawer>(vqgan, latent);
}

namespace drawers {

std::unique_ptr<Drawer> make_vqgan(Models& models, int width, int height, const DrawerStart& start,
                                   at::Generator& generator) {
  auto& vqgan = models.require_vqgan();
  const int factor = vqgan.spec.downsample_factor;
  const int64_t channels = vqgan.codebook.size(1);
  if (!start.parameters.empty()) {
    const auto adopted = adopt_parameters(start.parameters, {{1, channels, height / factor, width / factor}},
                                          vqgan.device, "vqgan");
    return make_vqgan_drawer(vqgan, adopted[0]);
  }
  if (start.picture.defined()) return make_vqgan_drawer(vqgan, encode_picture(vqgan, start.picture));
  return make_vqgan_drawer(vqgan, random_codebook_latent(vqgan.codebook, height / factor, width / factor, generator));
}

}  // namespace drawers
}  // namespace vqclip
