// pixray's extra losses on the drawn picture (docs/architecture.md, "Picture
// losses"), batched over the whole picture.
#include <algorithm>

#include "vqclip/render_ops.hpp"

namespace vqclip {
namespace {

torch::Tensor colour_tensor(const Colour& colour, const torch::Tensor& like) {
  return torch::tensor({colour[0], colour[1], colour[2]}, like.options().requires_grad(false)).view({1, 3, 1, 1});
}

// Mean squared difference of horizontally and vertically neighbouring pixels.
torch::Tensor total_variation(const torch::Tensor& picture) {
  const auto dx = picture.narrow(3, 1, picture.size(3) - 1) - picture.narrow(3, 0, picture.size(3) - 1);
  const auto dy = picture.narrow(2, 1, picture.size(2) - 1) - picture.narrow(2, 0, picture.size(2) - 1);
  return dx.square().mean() + dy.square().mean();
}

// Mean over pixels of the squared distance to the nearest colour.
torch::Tensor nearest_colour_distance(const torch::Tensor& picture, const std::vector<Colour>& colours) {
  std::vector<torch::Tensor> distances;
  for (const auto& colour : colours) distances.push_back((picture - colour_tensor(colour, picture)).square().sum(1));
  return std::get<0>(torch::stack(distances).min(0)).mean();
}

// Mean squared distance of the border's pixels to `colour`.
torch::Tensor edge_distance(const torch::Tensor& picture, const Colour& colour, int width) {
  const int64_t height = picture.size(2), picture_width = picture.size(3);
  if (width == 0) width = std::max<int64_t>(1, std::min(height, picture_width) / 16);
  const int64_t band = std::min<int64_t>(width, std::min(height, picture_width) / 2);
  auto mask = torch::ones({1, 1, height, picture_width}, picture.options().requires_grad(false));
  if (height > 2 * band && picture_width > 2 * band) {
    mask.narrow(2, band, height - 2 * band).narrow(3, band, picture_width - 2 * band).zero_();
  }
  const auto squared = (picture - colour_tensor(colour, picture)).square().sum(1, true);
  return (squared * mask).sum() / mask.sum();
}

}  // namespace

torch::Tensor picture_loss(const torch::Tensor& picture, const PictureLosses& losses) {
  auto loss = torch::zeros({}, picture.options().requires_grad(false));
  if (losses.smoothness != 0) loss = loss + losses.smoothness * total_variation(picture);
  if (losses.symmetry != 0) loss = loss + losses.symmetry * (picture - picture.flip({3})).square().mean();
  if (losses.saturation != 0) {
    const auto saturation = std::get<0>(picture.max(1)) - std::get<0>(picture.min(1));
    loss = loss - losses.saturation * saturation.mean();
  }
  if (losses.colour_weight != 0 && !losses.colours.empty()) {
    loss = loss + losses.colour_weight * nearest_colour_distance(picture, losses.colours);
  }
  if (losses.edge_weight != 0 && losses.edge_colour) {
    loss = loss + losses.edge_weight * edge_distance(picture, *losses.edge_colour, losses.edge_width);
  }
  return loss;
}

}  // namespace vqclip
