// `vqclip search DIR QUERY...`: images of a folder ranked by a query of texts
// and images; `vqclip index DIR`: the folder's index brought up to date.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cli/count_progress.hpp"
#include "cli/interrupt.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// The options `index` and `search` share: which files, which index, batch size.
void add_index_options(CLI::App& app, std::filesystem::path& dir, IndexOptions& options) {
  app.add_option("dir", dir, "Folder of images")->required()->type_name("DIR");
  app.add_flag("--recursive", options.recursive, "Include subfolders");
  app.add_option("--index", options.index_file, "The index file (default DIR/.vqclip-index.sqlite)")
      ->type_name("FILE");
  app.add_option("--batch", options.batch, "Images decoded and encoded at a time (one transaction each)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
}

nlohmann::json update_json(const IndexUpdate& update) {
  return {{"embedded", update.embedded}, {"cached", update.cached},   {"removed", update.removed},
          {"migrated", update.migrated}, {"skipped", update.skipped}};
}

void log_update(const IndexUpdate& update) {
  spdlog::info("index: {} embedded, {} from the index, {} removed, {} skipped", update.embedded, update.cached,
               update.removed, update.skipped);
  if (update.stopped) spdlog::warn("interrupted: what was embedded is in the index; run again to go on");
}

// Progress drawn after each batch; Ctrl-C or SIGTERM (with an InterruptGuard
// installed) ends the batch in flight, which is committed, then the update.
void connect_progress_and_interrupt(IndexOptions& options, CountProgress& progress) {
  options.on_progress = [&progress](size_t done, size_t total) { progress.update(done, total); };
  options.should_continue = [] { return !interrupt_requested(); };
}

constexpr int kInterrupted = static_cast<int>(ExitCode::kInterrupted);

class IndexCommand : public Command {
 public:
  explicit IndexCommand(CLI::App& parent) {
    app = parent.add_subcommand("index", "Bring the search index of DIR up to date (new, changed and deleted images)");
    add_index_options(*app, dir_, options_);
    app->add_flag("--json", json_, "Print the counts as JSON");
  }

  int run(const CommonOptions& common) override {
    auto models = load_models_for(common.context, ModelParts::clip_only());
    CountProgress progress(common.display, "indexing " + dir_.string(), "images");
    connect_progress_and_interrupt(options_, progress);
    InterruptGuard interrupt_guard;
    const auto update = update_index(models, dir_, options_);
    log_update(update);
    if (json_) std::cout << update_json(update).dump(2) << "\n";
    return update.stopped ? kInterrupted : 0;
  }

 private:
  std::filesystem::path dir_;
  IndexOptions options_;
  bool json_ = false;
};

class SearchCommand : public Command {
 public:
  explicit SearchCommand(CLI::App& parent) {
    app = parent.add_subcommand("search", "Rank the images of DIR by a query of texts and images (docs/clip-tools.md)");
    add_index_options(*app, dir_, options_.index);
    auto* query = app->add_option("query", query_words_,
                                  "Texts and image files joined by + and -, with weights W: "
                                  "(\"a red circle\" + pic.png - 0.5:\"blue\")")
                      ->type_name("QUERY");
    app->add_option("-p,--prompt", prompt_, "A text to search for, taken as it is")->excludes(query);
    app->add_option("--top", options_.top_k, "Show the K best; 0 = all")->check(CLI::NonNegativeNumber);
    app->add_option("--threshold", options_.threshold, "Show only images whose similarity is at least T (-1 to 1)")
        ->check(CLI::Range(-1.0, 1.0))
        ->type_name("T");
    app->add_flag("--index-only", options_.index_only,
                  "Search the index as it is, without looking at the folder (see vqclip index)");
    auto* json = app->add_flag("--json", json_, "Print JSON");
    app->add_flag("--paths-only", paths_only_, "Print the paths alone, one a line, best first (for pipes)")
        ->excludes(json);
  }

  int run(const CommonOptions& common) override {
    if (!prompt_ && query_words_.empty()) throw UsageError("search: give a query (or -p TEXT)");
    // Parsed before the models load: a bad query costs nothing.
    const auto query = prompt_ ? SearchQuery{QueryTerm{1.0, *prompt_, {}}} : parse_search_query(query_words_);
    auto models = load_models_for(common.context, ModelParts::clip_only());
    CountProgress progress(common.display, "indexing " + dir_.string(), "images");
    connect_progress_and_interrupt(options_.index, progress);
    InterruptGuard interrupt_guard;
    const auto result = search_images(models, dir_, query, options_);
    if (!options_.index_only) log_update(result.update);
    if (result.update.stopped) return kInterrupted;
    if (json_) {
      nlohmann::json hits = nlohmann::json::array();
      for (const auto& hit : result.hits) hits.push_back({{"path", hit.path.generic_string()}, {"score", hit.score}});
      nlohmann::json terms = nlohmann::json::array();
      for (const auto& term : query) terms.push_back(describe(term));
      auto out = update_json(result.update);
      out.update({{"query", terms}, {"results", hits}, {"searched", result.searched}});
      std::cout << out.dump(2) << "\n";
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
  std::vector<std::string> query_words_;
  std::optional<std::string> prompt_;
  SearchOptions options_;
  bool json_ = false;
  bool paths_only_ = false;
};

}  // namespace

std::unique_ptr<Command> make_search_command(CLI::App& parent) { return std::make_unique<SearchCommand>(parent); }
std::unique_ptr<Command> make_index_command(CLI::App& parent) { return std::make_unique<IndexCommand>(parent); }

}  // namespace vqclip::cli
