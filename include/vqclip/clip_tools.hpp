#pragma once
// CLIP's direct uses with a bundle's encoders: scoring images against texts,
// zero-shot classification, and text search over a folder of images. They
// need only the CLIP part of a bundle (ModelParts::clip_only()).
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "vqclip/models.hpp"

namespace vqclip {

// Images go through the image encoder this many at a time.
inline constexpr size_t kImageBatch = 32;

// The CLIP input [1, 3, R, R] of an image file, preprocessed with the CLIP's
// resolution, mean and std. Throws InputError naming an unreadable file.
torch::Tensor preprocess_image_file(const ClipModel& clip, const std::filesystem::path& path);

// Unit-norm embeddings [N, D] (CPU, float32) of CLIP inputs [N, 3, R, R].
torch::Tensor embed_clip_inputs(ClipModel& clip, const torch::Tensor& inputs);

// Unit-norm CLIP embeddings of image files, [N, D], encoded in batches of
// kImageBatch. Throws InputError naming an unreadable file.
torch::Tensor embed_image_files(ClipModel& clip, const std::vector<std::filesystem::path>& paths);

// Unit-norm text embeddings [N, D].
torch::Tensor embed_texts_normalised(ClipModel& clip, const std::vector<std::string>& texts);

// Throws UsageError when there is no template or one lacks the "{}" a label goes into.
void check_templates(const std::vector<std::string>& templates);

// Each label's caption under every template ("{}" replaced by the label),
// embedded, normalised, averaged over the templates and normalised again
// (CLIP's prompt ensembling): [labels, D]. Throws as check_templates does.
torch::Tensor embed_labels(ClipModel& clip, const std::vector<std::string>& labels,
                           const std::vector<std::string>& templates);

struct LabelProbability {
  std::string label;
  double probability;
};

// Softmax over logit_scale * cosine for each image row, best first, top K (0 = all).
std::vector<std::vector<LabelProbability>> classify(const torch::Tensor& image_embeddings,
                                                    const torch::Tensor& label_embeddings,
                                                    const std::vector<std::string>& labels, double logit_scale,
                                                    size_t top_k);

struct SearchHit {
  std::filesystem::path path;  // relative to the searched directory
  double score;
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first
  size_t embedded = 0;          // files (re-)embedded this time
  size_t cached = 0;            // files whose embedding came from the index
  size_t skipped = 0;           // unreadable or non-image files
};

// The index file kept in a searched directory.
inline constexpr const char* kSearchIndexName = ".vqclip-index.json";

// Ranks the images under `dir` against `query`; embeddings are cached in
// dir/.vqclip-index.json keyed by path, size, mtime and the bundle's hashes.
// Unreadable images are skipped with a warning.
SearchResult search_images(Models& models, const std::filesystem::path& dir, const std::string& query, bool recursive,
                           size_t top_k);

}  // namespace vqclip
