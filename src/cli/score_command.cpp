// `vqclip score IMAGE... -p TEXT...`: cosine similarity of every image with every text.
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/clip_tools.hpp"

namespace vqclip::cli {
namespace {

class ScoreCommand : public Command {
 public:
  explicit ScoreCommand(CLI::App& parent) {
    app = parent.add_subcommand("score", "Cosine similarity of each IMAGE with each text");
    app->add_option("images", images_, "Images (PNG, JPEG, BMP, GIF)")->required()->type_name("IMAGE");
    app->add_option("-p,--prompt", texts_, "Texts to score against (repeatable)")->required();
    app->add_flag("--json", json_, "Print JSON");
  }

  int run(const CommonOptions& common) override {
    auto models = load_models_for(common.context, ModelParts::clip_only());
    auto& clip = models.require_clip();
    const auto images = embed_image_files(clip, images_);
    const auto texts = embed_texts_normalised(clip, texts_);
    const auto cosine = images.matmul(texts.t());
    if (json_) {
      nlohmann::json rows = nlohmann::json::array();
      for (size_t i = 0; i < images_.size(); ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (size_t j = 0; j < texts_.size(); ++j) row.push_back(cosine[i][j].item<double>());
        rows.push_back(row);
      }
      std::vector<std::string> names;
      for (const auto& path : images_) names.push_back(path.string());
      std::cout << nlohmann::json{{"images", names}, {"texts", texts_}, {"cosine", rows}}.dump(2) << "\n";
      return 0;
    }
    for (size_t j = 0; j < texts_.size(); ++j) std::printf("%8s  text %zu: %s\n", "", j + 1, texts_[j].c_str());
    for (size_t i = 0; i < images_.size(); ++i) {
      for (size_t j = 0; j < texts_.size(); ++j) std::printf("%8.4f", cosine[i][j].item<double>());
      std::printf("  %s\n", images_[i].c_str());
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
