// `vqclip classify IMAGE... --labels "cat|dog"`: zero-shot label probabilities,
// each label's captions averaged over the templates (CLIP's prompt ensembling).
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/command.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// The templates of a file: one a line, empty lines and '#' comments skipped.
std::vector<std::string> read_templates(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) throw InputError(path.string() + ": cannot read the templates file");
  std::vector<std::string> templates;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    templates.push_back(line);
  }
  if (templates.empty()) throw UsageError("--templates-file " + path.string() + ": no template in it");
  return templates;
}

class ClassifyCommand : public Command {
 public:
  explicit ClassifyCommand(CLI::App& parent) {
    app = parent.add_subcommand("classify", "Zero-shot classification of each IMAGE among text labels");
    app->add_option("images", images_, "Images (PNG, JPEG, BMP, GIF, WebP)")->required()->type_name("IMAGE");
    app->add_option("--labels", labels_, "Labels separated by '|', e.g. \"cat|dog|person\"")->required();
    app->add_option("--template", templates_,
                    "Caption made of each label, {} replaced by the label (repeatable: a label's captions are "
                    "averaged; default 'a photo of a {}')")
        ->type_name("TEXT");
    app->add_option("--templates-file", templates_file_, "Templates, one a line ('#' comments), as --template")
        ->type_name("FILE");
    app->add_option("--top", top_, "Show the K most likely labels; 0 = all")->check(CLI::NonNegativeNumber);
    app->add_flag("--json", json_, "Print JSON");
  }

  int run(const CommonOptions& common) override {
    std::vector<std::string> labels;
    for (size_t start = 0;;) {
      const size_t bar = labels_.find('|', start);
      labels.push_back(labels_.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (labels.back().find_first_not_of(' ') == std::string::npos) {
        throw UsageError("--labels '" + labels_ + "': empty label (expected labels separated by '|')");
      }
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    auto templates = templates_;
    if (!templates_file_.empty()) {
      const auto from_file = read_templates(templates_file_);
      templates.insert(templates.end(), from_file.begin(), from_file.end());
    }
    if (templates.empty()) templates.push_back("a photo of a {}");
    check_templates(templates);  // before the models load
    auto models = load_models_for(common.context, ModelParts::clip_only());
    auto& clip = models.require_clip();
    const auto results = classify(embed_image_files(clip, images_), embed_labels(clip, labels, templates), labels,
                                  clip.spec.logit_scale, static_cast<size_t>(top_));
    nlohmann::json all = nlohmann::json::array();
    for (size_t i = 0; i < images_.size(); ++i) {
      if (!json_) std::printf("%s\n", images_[i].c_str());
      nlohmann::json ranked = nlohmann::json::array();
      for (const auto& [label, probability] : results[i]) {
        if (!json_) std::printf("  %6.2f%%  %s\n", 100 * probability, label.c_str());
        ranked.push_back({{"label", label}, {"probability", probability}});
      }
      all.push_back({{"image", images_[i].string()}, {"labels", ranked}});
    }
    if (json_) std::cout << all.dump(2) << "\n";
    return 0;
  }

 private:
  std::vector<std::filesystem::path> images_;
  std::string labels_;
  std::vector<std::string> templates_;
  std::filesystem::path templates_file_;
  int top_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_classify_command(CLI::App& parent) { return std::make_unique<ClassifyCommand>(parent); }

}  // namespace vqclip::cli
