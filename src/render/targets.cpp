#include "vqclip/targets.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {

torch::Tensor interpolate_on_sphere(const torch::Tensor& a, const torch::Tensor& b, double t) {
  const auto ua = a / a.norm(), ub = b / b.norm();
  const double cosine = std::clamp((ua * ub).sum().item<double>(), -1.0, 1.0);
  const double angle = std::acos(cosine);
  if (angle < 1e-4) {
    const auto mixed = (1 - t) * ua + t * ub;
    return mixed / mixed.norm();
  }
  return (std::sin((1 - t) * angle) * ua + std::sin(t * angle) * ub) / std::sin(angle);
}

torch::Tensor embed_texts(ClipModel& clip, const std::vector<std::string>& texts) {
  torch::NoGradGuard no_grad;
  const int length = clip.spec.context_length;
  auto tokens = torch::empty({static_cast<int64_t>(texts.size()), length}, torch::kLong);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = clip.tokenizer->tokenize(texts[i]).ids;
    tokens[static_cast<int64_t>(i)] = torch::tensor(ids, torch::kLong);
  }
  return clip.text_encoder.forward({tokens.to(clip.device)}).toTensor().to(torch::kFloat);
}

Target image_target(ClipModel& clip, const ImagePrompt& prompt, int width, int height, const CutoutSettings& cutouts,
                    at::Generator& generator) {
  torch::NoGradGuard no_grad;
  const auto picture = image_to_tensor(shrink_for(prompt.image.read(), width, height)).to(clip.device);
  const auto resized = torch::nn::functional::interpolate(
      picture, torch::nn::functional::InterpolateFuncOptions()
                   .size(std::vector<int64_t>{height, width})
                   .mode(torch::kBilinear)
                   .align_corners(false));
  const auto& spec = clip.spec;
  const auto mean = torch::tensor({spec.mean[0], spec.mean[1], spec.mean[2]}).view({1, 3, 1, 1}).to(clip.device);
  const auto std = torch::tensor({spec.std[0], spec.std[1], spec.std[2]}).view({1, 3, 1, 1}).to(clip.device);
  const auto views = (make_cutouts(resized.clamp(0, 1), spec.input_resolution, cutouts, generator) - mean) / std;
  const auto embeddings = clip.image_encoder.forward({views}).toTensor().to(torch::kFloat);
  const auto normalised = torch::nn::functional::normalize(embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1));
  return Target{"image " + prompt.image.label(), normalised.mean(0), prompt.weight, prompt.stop};
}

Target noise_target(const ClipModel& clip, const NoisePrompt& prompt) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(prompt.seed);
  const auto embedding = torch::randn({clip.spec.embed_dim}, generator, torch::kFloat);
  return Target{"noise " + std::to_string(prompt.seed), embedding.to(clip.device), prompt.weight,
                -std::numeric_limits<double>::infinity()};
}

torch::Tensor random_codebook_latent(const torch::Tensor& codebook, int grid_height, int grid_width,
                                     at::Generator& generator) {
  const auto indices = torch::randint(codebook.size(0), {grid_height * grid_width}, generator,
                                      torch::TensorOptions().dtype(torch::kLong).device(codebook.device()));
  return codebook.index_select(0, indices).view({grid_height, grid_width, -1}).permute({2, 0, 1}).unsqueeze(0)
      .contiguous();
}

torch::Tensor encode_picture(VqganModel& vqgan, const torch::Tensor& picture) {
  if (!vqgan.encoder) {
    throw BundleError(vqgan.spec.decoder.parent_path().string() +
                      "/vqclip.json: vqgan.encoder: this bundle has no VQGAN encoder, needed to start from a picture");
  }
  torch::NoGradGuard no_grad;
  return vqgan.encoder->forward({(picture.to(vqgan.device) * 2 - 1)}).toTensor().to(torch::kFloat);
}

torch::Tensor noise_picture(InitNoise kind, int width, int height, at::Generator& generator) {
  if (kind == InitNoise::kNone) throw InternalError("noise_picture: no kind of noise given");
  const auto options = torch::TensorOptions().device(generator.device());
  if (kind == InitNoise::kGradient) {
    // Two random colours blended along a random direction.
    const auto from = torch::rand({1, 3, 1, 1}, generator, options);
    const auto to = torch::rand({1, 3, 1, 1}, generator, options);
    const double angle = torch::rand({1}, generator, options).item<double>() * 2 * M_PI;
    const auto ys = torch::linspace(-1, 1, height, options).view({1, 1, height, 1});
    const auto xs = torch::linspace(-1, 1, width, options).view({1, 1, 1, width});
    const auto t = ((xs * std::cos(angle) + ys * std::sin(angle)) * 0.5 + 0.5).clamp(0, 1);
    return from * (1 - t) + to * t;
  }
  return torch::rand({1, 3, height, width}, generator, options);
}

}  // namespace vqclip
