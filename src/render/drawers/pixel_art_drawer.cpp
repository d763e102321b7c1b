// The pixel-art drawer: a grid of cells upscaled without smoothing, each cell
// its own colour or one of an optimised palette of K colours (pixray's pixel
// drawer; docs/architecture.md, "Drawers"). Colours pass a sigmoid into [0, 1].
#include <algorithm>

#include "render/drawers/drawer_parts.hpp"
#include "render/drawers/drawers.hpp"

namespace vqclip {
namespace {

// Palette choices are sharp from the start: a cell's logits are minus its
// squared colour distance to each palette entry over this.
constexpr double kChoiceSharpness = 0.01;
// Lloyd iterations fitting a palette to a start picture's cells.
constexpr int kPaletteIterations = 10;

// [1, 3, gh, gw] cells -> [1, 3, gh * cell, gw * cell], each cell a square of one colour.
torch::Tensor upscale(const torch::Tensor& cells, int64_t cell) {
  return cells.repeat_interleave(cell, 2).repeat_interleave(cell, 3);
}

// `k` colours [k, 3] for `colours` [n, 3]: k-means from farthest-point
// seeds (the darkest colour, then each time the colour farthest from those
// chosen), so a picture of k colours or fewer gets them exactly; no draws.
torch::Tensor fit_palette(const torch::Tensor& colours, int64_t k) {
  std::vector<int64_t> seeds{colours.sum(1).argmin().item<int64_t>()};
  auto distance = (colours - colours[seeds[0]]).square().sum(1);
  while (static_cast<int64_t>(seeds.size()) < k) {
    seeds.push_back(distance.argmax().item<int64_t>());
    distance = torch::minimum(distance, (colours - colours[seeds.back()]).square().sum(1));
  }
  auto palette = colours.index_select(0, torch::tensor(seeds, torch::kLong).to(colours.device())).clone();
  for (int i = 0; i < kPaletteIterations; ++i) {
    const auto nearest = torch::cdist(colours, palette).argmin(1);
    const auto one_hot = torch::one_hot(nearest, k).to(torch::kFloat);  // [n, k]
    const auto counts = one_hot.sum(0).unsqueeze(1);
    const auto sums = one_hot.t().matmul(colours);
    palette = torch::where(counts > 0, sums / counts.clamp_min(1), palette);  // an empty entry keeps its colour
  }
  return palette;
}

class PixelArtDrawer final : public Drawer {
 public:
  PixelArtDrawer(const PixelArtSettings& settings, int width, int height, const c10::Device& device,
                 const DrawerStart& start, at::Generator& generator)
      : cell_(settings.cell), columns_(width / settings.cell), rows_(height / settings.cell),
        palette_size_(settings.palette) {
    const auto options = torch::TensorOptions().device(device);
    if (!start.parameters.empty()) {
      values_ = drawers::adopt_parameters(start.parameters, shapes(), device, "pixel-art");
    } else if (start.picture.defined()) {
      values_ = from_picture(start.picture.to(device, torch::kFloat), device);
    } else if (palette_size_ == 0) {
      values_ = {drawers::leaf(torch::randn({1, 3, rows_, columns_}, generator, options), device)};
    } else {
      values_ = {drawers::leaf(torch::randn({1, palette_size_, rows_, columns_}, generator, options), device),
                 drawers::leaf(torch::randn({palette_size_, 3}, generator, options), device)};
    }
  }

  DrawerKind kind() const override { return DrawerKind::kPixelArt; }
  std::vector<torch::Tensor> parameters() const override { return values_; }
  torch::Tensor draw(Precision) override { return upscale(cells(true), cell_); }
  torch::Tensor picture() override {
    torch::NoGradGuard no_grad;
    return upscale(cells(false), cell_);
  }

 private:
  std::vector<std::vector<int64_t>> shapes() const {
    if (palette_size_ == 0) return {{1, 3, rows_, columns_}};
    return {{1, palette_size_, rows_, columns_}, {palette_size_, 3}};
  }

  // The cells' colours [1, 3, rows, columns]. With a palette each cell shows
  // its most likely entry; `soft_gradient` passes the gradient of the softmax
  // mixture through that choice (straight-through), so choices can change.
  torch::Tensor cells(bool soft_gradient) const {
    if (palette_size_ == 0) return torch::sigmoid(values_[0]);
    const auto& choice_logits = values_[0];
    const auto palette = torch::sigmoid(values_[1]);  // [K, 3]
    const auto hard = torch::one_hot(choice_logits.argmax(1), palette_size_).permute({0, 3, 1, 2}).to(torch::kFloat);
    auto weights = hard;
    if (soft_gradient) {
      const auto soft = torch::softmax(choice_logits, 1);
      weights = hard - soft.detach() + soft;
    }
    return torch::einsum("bkhw,kc->bchw", {weights, palette});
  }

  std::vector<torch::Tensor> from_picture(const torch::Tensor& picture, const c10::Device& device) const {
    const auto cells = torch::nn::functional::avg_pool2d(
        picture, torch::nn::functional::AvgPool2dFuncOptions(cell_).stride(cell_));  // [1, 3, rows, columns]
    if (palette_size_ == 0) return {drawers::leaf(drawers::logit(cells), device)};
    const auto colours = cells[0].flatten(1).t().contiguous();  // [n, 3]
    const auto palette = fit_palette(colours, palette_size_);
    const auto distances = torch::cdist(colours, palette).square();  // [n, K]
    const auto choice_logits = (-distances / kChoiceSharpness).t().reshape({1, palette_size_, rows_, columns_});
    return {drawers::leaf(choice_logits, device), drawers::leaf(drawers::logit(palette), device)};
  }

  int64_t cell_;
  int64_t columns_;
  int64_t rows_;
  int64_t palette_size_;
  std::vector<torch::Tensor> values_;  // colour logits; or choice logits and palette logits
};

}  // namespace

namespace drawers {

std::unique_ptr<Drawer> make_pixel_art(const PixelArtSettings& settings, int width, int height,
                                       const c10::Device& device, const DrawerStart& start, at::Generator& generator) {
  return std::make_unique<PixelArtDrawer>(settings, width, height, device, start, generator);
}

}  // namespace drawers
}  // namespace vqclip
