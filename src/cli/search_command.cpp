// `vqclip search DIR -p TEXT`: images of a folder ranked by a text.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "vqclip/clip_tools.hpp"

namespace vqclip::cli {
namespace {

class SearchCommand : public Command {
 public:
  explicit SearchCommand(CLI::App& parent) {
    app = parent.add_subcommand("search", "Rank the images of DIR by similarity to a text (embeddings cached in DIR)");
    app->add_option("dir", dir_, "Folder of images")->required()->type_name("DIR");
    app->add_option("-p,--prompt", query_, "The text to search for")->required();
    app->add_option("--top", top_, "Show the K best; 0 = all")->check(CLI::NonNegativeNumber);
    app->add_option("--threshold", threshold_, "Show only images whose similarity is at least T (-1 to 1)")
        ->check(CLI::Range(-1.0, 1.0))
        ->type_name("T");
    app->add_flag("--recursive", recursive_, "Include subfolders");
    auto* json = app->add_flag("--json", json_, "Print JSON");
    app->add_flag("--paths-only", paths_only_, "Print the paths alone, one a line, best first (for pipes)")
        ->excludes(json);
  }

  int run(const CommonOptions& common) override {
    auto models = load_models_for(common.context, ModelParts::clip_only());
    auto result = search_images(models, dir_, query_, recursive_, static_cast<size_t>(top_));
    if (threshold_) {  // hits are best first: the rest are below too
      const auto below = std::find_if(result.hits.begin(), result.hits.end(),
                                      [this](const SearchHit& hit) { return hit.score < *threshold_; });
      result.hits.erase(below, result.hits.end());
    }
    spdlog::info("search: {} embedded, {} from the index, {} skipped", result.embedded, result.cached, result.skipped);
    if (json_) {
      nlohmann::json hits = nlohmann::json::array();
      for (const auto& hit : result.hits) hits.push_back({{"path", hit.path.generic_string()}, {"score", hit.score}});
      std::cout << nlohmann::json{{"query", query_}, {"results", hits}, {"embedded", result.embedded},
                                  {"cached", result.cached}, {"skipped", result.skipped}}.dump(2)
                << "\n";
      return 0;
    }
    for (const auto& hit : result.hits) {
      if (paths_only_) {
        std::printf("%s\n", (dir_ / hit.path).c_str());
      } else {
        std::printf("%8.4f  %s\n", hit.score, (dir_ / hit.path).c_str());
      }
    }
    return 0;
  }

 private:
  std::filesystem::path dir_;
  std::string query_;
  int top_ = 10;
  std::optional<double> threshold_;
  bool recursive_ = false;
  bool json_ = false;
  bool paths_only_ = false;
};

}  // namespace

std::unique_ptr<Command> make_search_command(CLI::App& parent) { return std::make_unique<SearchCommand>(parent); }

}  // namespace vqclip::cli
