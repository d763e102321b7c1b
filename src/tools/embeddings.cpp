#include "vqclip/clip_tools.hpp"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/targets.hpp"
#include "model/error_text.hpp"

namespace vqclip {
namespace {

torch::Tensor normalise_rows(const torch::Tensor& embeddings) {
  return torch::nn::functional::normalize(embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

}  // namespace

torch::Tensor preprocess_image_file(const ClipModel& clip, const std::filesystem::path& path) {
  const auto& spec = clip.spec;
  try {
    return clip_preprocess(read_image(path), spec.input_resolution, spec.mean, spec.std);
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind(path.string(), 0) == 0) throw;  // names the file already
    throw InputError(path.string() + ": " + what);
  }
}

std::vector<PreprocessedImage> preprocess_image_files(const ClipModel& clip,
                                                      const std::vector<std::filesystem::path>& paths) {
  std::vector<PreprocessedImage> images(paths.size());
  // One image a task: decoding dominates, and the resize inside runs serially
  // within a parallel region.
  at::parallel_for(0, static_cast<int64_t>(paths.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      auto& image = images[static_cast<size_t>(i)];
      try {
        image.input = preprocess_image_file(clip, paths[static_cast<size_t>(i)]);
      } catch (const InputError& e) {
        image.error = e.what();
      }
    }
  });
  return images;
}

torch::Tensor embed_clip_inputs(ClipModel& clip, const torch::Tensor& inputs) {
  torch::NoGradGuard no_grad;
  try {
    const auto embeddings = clip.image_encoder.forward({inputs.to(clip.device)}).toTensor();
    return normalise_rows(embeddings.to(torch::kCPU, torch::kFloat));
  } catch (const c10::Error& e) {
    throw BundleError(clip.spec.image_encoder.string() + ": forward(" + shape_text(inputs.sizes()) +
                      ") failed: " + torch_error_line(e));
  }
}

BatchEmbedding embed_image_batches(ClipModel& clip, const std::vector<std::filesystem::path>& files, size_t batch,
                                   const std::function<void(const EmbeddedBatch&)>& on_batch,
                                   const std::function<bool()>& should_continue) {
  BatchEmbedding outcome;
  batch = std::max<size_t>(1, batch);
  for (size_t start = 0; start < files.size(); start += batch) {
    if (should_continue && !should_continue()) {
      outcome.stopped = true;
      break;
    }
    const size_t end = std::min(files.size(), start + batch);
    auto images = preprocess_image_files(clip, {files.begin() + static_cast<std::ptrdiff_t>(start),
                                                files.begin() + static_cast<std::ptrdiff_t>(end)});
    EmbeddedBatch embedded;
    std::vector<torch::Tensor> inputs;
    for (size_t k = 0; k < images.size(); ++k) {
      if (!images[k].error.empty()) {
        spdlog::warn("skipped: {}", images[k].error);
        ++outcome.skipped;
        continue;
      }
      embedded.indices.push_back(start + k);
      inputs.push_back(std::move(images[k].input));
    }
    embedded.embeddings =
        inputs.empty() ? torch::empty({0, clip.spec.embed_dim}) : embed_clip_inputs(clip, torch::cat(inputs));
    embedded.done = end;
    on_batch(embedded);
  }
  return outcome;
}

torch::Tensor embed_image_files(ClipModel& clip, const std::vector<std::filesystem::path>& paths) {
  std::vector<torch::Tensor> batches;
  for (size_t start = 0; start < paths.size(); start += kImageBatch) {
    const auto end = paths.begin() + static_cast<std::ptrdiff_t>(std::min(paths.size(), start + kImageBatch));
    std::vector<torch::Tensor> inputs;
    for (auto& image : preprocess_image_files(clip, {paths.begin() + static_cast<std::ptrdiff_t>(start), end})) {
      if (!image.error.empty()) throw InputError(image.error);
      inputs.push_back(std::move(image.input));
    }
    batches.push_back(embed_clip_inputs(clip, torch::cat(inputs)));
  }
  if (batches.empty()) return torch::empty({0, clip.spec.embed_dim});
  return torch::cat(batches);
}

torch::Tensor embed_texts_normalised(ClipModel& clip, const std::vector<std::string>& texts) {
  return normalise_rows(embed_texts(clip, texts).to(torch::kCPU));
}

void check_templates(const std::vector<std::string>& templates) {
  if (templates.empty()) throw UsageError("no caption template: at least one is needed");
  for (const auto& caption_template : templates) {
    if (caption_template.find("{}") == std::string::npos) {
      throw UsageError("--template '" + caption_template + "': needs {} for the label");
    }
  }
}

torch::Tensor embed_labels(ClipModel& clip, const std::vector<std::string>& labels,
                           const std::vector<std::string>& templates) {
  check_templates(templates);
  std::vector<std::string> captions;  // template-major: [templates x labels]
  for (const auto& caption_template : templates) {
    const auto at = caption_template.find("{}");
    for (const auto& label : labels) captions.push_back(std::string(caption_template).replace(at, 2, label));
  }
  const auto each = embed_texts_normalised(clip, captions).view(
      {static_cast<int64_t>(templates.size()), static_cast<int64_t>(labels.size()), -1});
  return normalise_rows(each.mean(0));
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
