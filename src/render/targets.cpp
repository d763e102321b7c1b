#include "vqclip/targets.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {

torch::Tensor embed_texts(Bundle& bundle, const std::vector<std::string>& texts) {
  torch::NoGradGuard no_grad;
  const int length = bundle.manifest.clip.context_length;
  auto tokens = torch::empty({static_cast<int64_t>(texts.size()), length}, torch::kLong);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = bundle.tokenizer->tokenize(texts[i]).ids;
    tokens[static_cast<int64_t>(i)] = torch::tensor(ids, torch::kLong);
  }
  return bundle.text_encoder.forward({tokens.to(bundle.device)}).toTensor().to(torch::kFloat);
}

Target image_target(Bundle& bundle, const PromptSpec& spec, int width, int height, const CutoutSettings& cutouts) {
  torch::NoGradGuard no_grad;
  const auto picture = image_to_tensor(read_image(spec.text)).to(bundle.device);
  const auto resized = torch::nn::functional::interpolate(
      picture, torch::nn::functional::InterpolateFuncOptions()
                   .size(std::vector<int64_t>{height, width})
                   .mode(torch::kBilinear)
                   .align_corners(false));
  const auto& clip = bundle.manifest.clip;
  const auto mean = torch::tensor({clip.mean[0], clip.mean[1], clip.mean[2]}).view({1, 3, 1, 1}).to(bundle.device);
  const auto std = torch::tensor({clip.std[0], clip.std[1], clip.std[2]}).view({1, 3, 1, 1}).to(bundle.device);
  const auto views = (make_cutouts(resized.clamp(0, 1), clip.input_resolution, cutouts) - mean) / std;
  const auto embeddings = bundle.image_encoder.forward({views}).toTensor().to(torch::kFloat);
  const auto normalised = torch::nn::functional::normalize(embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1));
  return Target{"image " + spec.text, normalised.mean(0), spec.weight, spec.stop};
}

Target noise_target(const Bundle& bundle, const PromptSpec& spec) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(std::stoull(spec.text));
  const auto embedding = torch::randn({bundle.manifest.clip.embed_dim}, generator, torch::kFloat);
  return Target{"noise " + spec.text, embedding.to(bundle.device), spec.weight, spec.stop};
}

torch::Tensor random_codebook_latent(const torch::Tensor& codebook, int grid_height, int grid_width) {
  const auto indices = torch::randint(codebook.size(0), {grid_height * grid_width},
                                      torch::TensorOptions().dtype(torch::kLong).device(codebook.device()));
  return codebook.index_select(0, indices).view({grid_height, grid_width, -1}).permute({2, 0, 1}).unsqueeze(0)
      .contiguous();
}

torch::Tensor encode_picture(Bundle& bundle, const torch::Tensor& picture) {
  if (!bundle.encoder) {
    throw BundleError(bundle.manifest.dir.string() + "/vqclip.json: vqgan.encoder: this bundle has no VQGAN encoder, "
                      "needed for --init-image");
  }
  torch::NoGradGuard no_grad;
  return bundle.encoder->forward({(picture.to(bundle.device) * 2 - 1)}).toTensor().to(torch::kFloat);
}

torch::Tensor noise_picture(const std::string& kind, int width, int height) {
  if (kind == "pixels") return torch::rand({1, 3, height, width});
  if (kind == "gradient") {
    // Two random colours blended along a random direction.
    const auto from = torch::rand({1, 3, 1, 1});
    const auto to = torch::rand({1, 3, 1, 1});
    const double angle = torch::rand({1}).item<double>() * 2 * M_PI;
    const auto ys = torch::linspace(-1, 1, height).view({1, 1, height, 1});
    const auto xs = torch::linspace(-1, 1, width).view({1, 1, 1, width});
    const auto t = ((xs * std::cos(angle) + ys * std::sin(angle)) * 0.5 + 0.5).clamp(0, 1);
    return from * (1 - t) + to * t;
  }
  throw UsageError("--init-noise " + kind + ": expected pixels or gradient");
}

}  // namespace vqclip
