// `vqclip score`: cosine similarity of every image with every text
// (`IMAGE... -p TEXT...`), of images with each other (`IMAGE...` alone), or of
// texts with each other (`-p TEXT...` alone).
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// One side of the table: what its rows or columns are, and their embeddings.
struct Side {
  const char* kind;  // "image" or "text"
  std::vector<std::string> names;
  torch::Tensor embeddings;  // [N, D], unit norm
};

class ScoreCommand : public Command {
 public:
  explicit ScoreCommand(CLI::App& parent) {
    app = parent.add_subcommand(
        "score", "Cosine similarity of each IMAGE with each text; of the images with each other when no text is "
                 "given, of the texts with each other when no image is");
    app->add_option("images", images_, "Images (PNG, JPEG, BMP, GIF, WebP)")->type_name("IMAGE");
    app->add_option("-p,--prompt", texts_, "Texts to score against (repeatable)");
    app->add_flag("--json", json_,
                  "Print JSON: {images, texts, cosine} (rows images, columns texts); {images, cosine} or "
                  "{texts, cosine} for one kind against itself");
  }

  int run(const CommonOptions& common) override {
    if (images_.empty() && texts_.empty()) {
      throw UsageError("score needs images, texts (-p), or both: nothing to compare");
    }
    auto models = load_models_for(common.context, ModelParts::clip_only());
    auto& clip = models.require_clip();
    std::optional<Side> images, texts;
    if (!images_.empty()) {
      images = Side{"image", {}, embed_image_files(clip, images_)};
      for (const auto& path : images_) images->names.push_back(path.string());
    }
    if (!texts_.empty()) texts = Side{"text", texts_, embed_texts_normalised(clip, texts_)};
    const Side& rows = images ? *images : *texts;
    const Side& columns = texts ? *texts : *images;
    const auto cosine = rows.embeddings.matmul(columns.embeddings.t());

    if (json_) {
      nlohmann::json table = nlohmann::json::array();
      for (int64_t i = 0; i < cosine.size(0); ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (int64_t j = 0; j < cosine.size(1); ++j) row.push_back(cosine[i][j].item<double>());
        table.push_back(row);
      }
      nlohmann::json out{{"cosine", table}};
      if (images) out["images"] = images->names;
      if (texts) out["texts"] = texts->names;
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    for (size_t j = 0; j < columns.names.size(); ++j) {
      std::printf("%8s  %s %zu: %s\n", "", columns.kind, j + 1, columns.names[j].c_str());
    }
    for (int64_t i = 0; i < cosine.size(0); ++i) {
      for (int64_t j = 0; j < cosine.size(1); ++j) std::printf("%8.4f", cosine[i][j].item<double>());
      std::printf("  %s\n", rows.names[static_cast<size_t>(i)].c_str());
    }
    return 0;
  }

 private:
  std::vector<std::filesystem::path> images_;
  std::vector<std::string> texts_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_score_command(CLI::App& parent) { return std::make_unique<ScoreCommand>(parent); }

}  // namespace vqclip::cli
