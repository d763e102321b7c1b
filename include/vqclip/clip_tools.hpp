#pragma once
// CLIP's direct uses with a bundle's encoders: scoring images against texts,
// zero-shot classification, and search over an indexed folder of images. They
// need only the CLIP part of a bundle (ModelParts::clip_only()).
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vqclip/models.hpp"

namespace vqclip {

// Images go through the image encoder this many at a time.
inline constexpr size_t kImageBatch = 32;

// The CLIP input [1, 3, R, R] of an image file, preprocessed with the CLIP's
// resolution, mean and std. Throws InputError naming an unreadable file.
torch::Tensor preprocess_image_file(const ClipModel& clip, const std::filesystem::path& path);

// An image file as a CLIP input [1, 3, R, R], or why it could not be read.
struct PreprocessedImage {
  torch::Tensor input;  // undefined when error is set
  std::string error;    // the InputError's message, naming the file
};

// The CLIP inputs of image files, decoded in parallel on the library's threads.
std::vector<PreprocessedImage> preprocess_image_files(const ClipModel& clip,
                                                      const std::vector<std::filesystem::path>& paths);

// Unit-norm embeddings [N, D] (CPU, float32) of CLIP inputs [N, 3, R, R].
torch::Tensor embed_clip_inputs(ClipModel& clip, const torch::Tensor& inputs);

// One batch of embed_image_batches: the embeddings [readable, D] of the files
// at `indices` (into the list given), and how many files were looked at so far.
struct EmbeddedBatch {
  std::vector<size_t> indices;
  torch::Tensor embeddings;
  size_t done = 0;
};

struct BatchEmbedding {
  size_t skipped = 0;    // unreadable files (a warning each)
  bool stopped = false;  // should_continue said no before the end
};

// Embeds image files `batch` at a time, decoding each batch in parallel, and
// hands each batch to `on_batch` (also when none of it was readable). Before
// each batch, `should_continue` (when set) may stop the work there.
BatchEmbedding embed_image_batches(ClipModel& clip, const std::vector<std::filesystem::path>& files, size_t batch,
                                   const std::function<void(const EmbeddedBatch&)>& on_batch,
                                   const std::function<bool()>& should_continue = {});

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

// The extensions of the image files search, index and embed read (lower case, with the dot).
const std::set<std::string>& image_file_extensions();
// Whether `path` ends in one of them, in any case.
bool has_image_extension(const std::filesystem::path& path);

// ---- search queries --------------------------------------------------------------------

// One term of a query: a text or an image file, with a signed weight.
struct QueryTerm {
  double weight = 1.0;            // negative: subtracted
  std::string text;               // when image is empty
  std::filesystem::path image;    // an image file
};
using SearchQuery = std::vector<QueryTerm>;

// Parses the query language (docs/clip-tools.md): terms joined by lone + and -,
// each a "quoted text", a bare text or an image file (by its extension), with
// an optional positive weight prefix W: ("2:red", 0.5:"blue", 3:pic.png).
// `arguments` are the shell's words; adjacent bare words join into one text.
// Throws UsageError naming the problem.
SearchQuery parse_search_query(const std::vector<std::string>& arguments);

// "2:\"red\"" or "-1:pic.png".
std::string describe(const QueryTerm& term);

// The unit vector of sum(weight * unit embedding of term). Throws UsageError
// when the terms cancel out, InputError naming an unreadable image.
torch::Tensor embed_query(ClipModel& clip, const SearchQuery& query);

// ---- the search index ------------------------------------------------------------------

// The index kept in a searched folder unless another is named.
inline constexpr const char* kSearchIndexName = ".vqclip-index.sqlite";
// The JSON index of earlier versions: migrated into the SQLite one, then removed.
inline constexpr const char* kOldSearchIndexName = ".vqclip-index.json";

struct IndexOptions {
  bool recursive = false;
  std::filesystem::path index_file;  // empty: DIR/.vqclip-index.sqlite
  size_t batch = kImageBatch;        // images decoded and encoded at a time; one transaction each
  // After each batch: files looked at so far (embedded or skipped) of `total` to embed.
  std::function<void(size_t done, size_t total)> on_progress;
  // Before each batch: false stops the update there (Ctrl-C); what was embedded stays.
  std::function<bool()> should_continue;
};

struct IndexUpdate {
  size_t embedded = 0;  // files (re-)embedded this time
  size_t cached = 0;    // files whose embedding was current in the index
  size_t removed = 0;   // entries of files gone from the folder
  size_t migrated = 0;  // entries taken over from an old JSON index
  size_t skipped = 0;   // unreadable image files (a warning each)
  bool stopped = false; // should_continue said no before every file was embedded
};

// Brings the index of `dir` up to date for the bundle's CLIP: new and changed
// image files are embedded (a transaction per batch), entries of deleted files
// removed. Safe while other processes search or index the same folder.
IndexUpdate update_index(Models& models, const std::filesystem::path& dir, const IndexOptions& options);

struct SearchHit {
  std::filesystem::path path;  // relative to the searched directory
  double score;                // cosine similarity to the query
};

struct SearchOptions {
  IndexOptions index;
  bool index_only = false;           // search the index as it is, without looking at the folder
  size_t top_k = 10;                 // 0 = all
  std::optional<double> threshold;   // keep only hits at least this similar
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first; equal scores by path
  IndexUpdate update;           // all zero with index_only
  size_t searched = 0;          // embeddings compared with the query
};

// Ranks the images under `dir` against `query`, updating the index first unless
// options.index_only. An update stopped by should_continue gives no hits.
SearchResult search_images(Models& models, const std::filesystem::path& dir, const SearchQuery& query,
                           const SearchOptions& options);

}  // namespace vqclip
