#include "vqclip/clip_tools.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/targets.hpp"

namespace vqclip {
namespace {
constexpr size_t kBatch = 32;
}

torch::Tensor embed_image_files(Bundle& bundle, const std::vector<std::filesystem::path>& paths) {
  torch::NoGradGuard no_grad;
  const auto& clip = bundle.manifest.clip;
  std::vector<torch::Tensor> batches;
  for (size_t start = 0; start < paths.size(); start += kBatch) {
    std::vector<torch::Tensor> inputs;
    for (size_t i = start; i < std::min(paths.size(), start + kBatch); ++i) {
      inputs.push_back(clip_preprocess(read_image(paths[i]), clip.input_resolution, clip.mean, clip.std));
    }
    const auto embeddings = bundle.image_encoder.forward({torch::cat(inputs).to(bundle.device)}).toTensor();
    batches.push_back(embeddings.to(torch::kCPU, torch::kFloat));
  }
  if (batches.empty()) return torch::empty({0, clip.embed_dim});
  return torch::nn::functional::normalize(torch::cat(batches), torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor embed_texts_normalised(Bundle& bundle, const std::vector<std::string>& texts) {
  const auto embeddings = embed_texts(bundle, texts).to(torch::kCPU);
  return torch::nn::functional::normalize(embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

std::vector<std::vector<LabelProbability>> classify(const torch::Tensor& image_embeddings,
                                                    const torch::Tensor& label_embeddings,
                                                    const std::vector<std::string>& labels, double logit_scale,
                                                    size_t top_k) {
  const auto probabilities = torch::softmax(logit_scale * image_embeddings.matmul(label_embeddings.t()), 1);
  std::vector<std::vector<LabelProbability>> results;
  for (int64_t i = 0; i < probabilities.size(0); ++i) {
    std::vector<LabelProbability> row;
    for (size_t j = 0; j < labels.size(); ++j) {
      row.push_back({labels[j], probabilities[i][static_cast<int64_t>(j)].item<double>()});
    }
    std::stable_sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.probability > b.probability; });
    if (top_k > 0 && row.size() > top_k) row.resize(top_k);
    results.push_back(std::move(row));
  }
  return results;
}

}  // namespace vqclip
