// `vqclip embed INPUT... -o OUT`: CLIP embeddings of images (files or folders)
// or texts, to a float32 .npy with a JSON sidecar, or to JSON lines.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "cli/command.hpp"
#include "cli/count_progress.hpp"
#include "cli/interrupt.hpp"
#include "tools/embedding_file.hpp"
#include "tools/image_files.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

// Files stay as given (whatever their extension); folders give their image
// files in sorted order.
std::vector<std::filesystem::path> expand_image_inputs(const std::vector<std::string>& inputs, bool recursive) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    std::error_code error;
    if (!std::filesystem::is_directory(input, error)) {
      files.emplace_back(input);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for_each_entry(input, recursive, [&found](const std::filesystem::directory_entry& entry) {
      std::error_code entry_error;
      if (entry.is_regular_file(entry_error) && has_image_extension(entry.path())) found.push_back(entry.path());
    });
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream file(path);
  if (!file) throw InputError(path.string() + ": cannot read the texts file");
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class EmbedCommand : public Command {
 public:
  explicit EmbedCommand(CLI::App& parent) {
    app = parent.add_subcommand("embed", "CLIP embeddings of images or texts, to .npy (with a JSON sidecar) or JSON lines");
    app->add_option("inputs", inputs_, "Image files and folders (or texts with --texts)")->type_name("INPUT");
    app->add_flag("--texts", texts_, "The inputs are texts, not images");
    app->add_option("--texts-file", texts_file_, "Texts to embed, one a line")->type_name("FILE");
    app->add_flag("--recursive", recursive_, "Include the subfolders of folders given");
    app->add_option("-o,--output", output_, "OUT.npy (float32 [rows, dim] + OUT.json listing the inputs), "
                                            "OUT.jsonl, or - for JSON lines on stdout")
        ->required()
        ->type_name("FILE");
    app->add_option("--format", format_, "npy or jsonl (default: from the output's extension)")
        ->check(CLI::IsMember({"npy", "jsonl"}));
    app->add_option("--batch", batch_, "Inputs encoded at a time")->check(CLI::Range(1, 4096))->type_name("N");
  }

  int run(const CommonOptions& common) override {
    const bool texts = texts_ || !texts_file_.empty();
    std::vector<std::string> text_inputs;
    if (texts) {
      text_inputs = texts_ ? inputs_ : std::vector<std::string>{};
      if (!texts_file_.empty()) {
        const auto from_file = read_lines(texts_file_);
        text_inputs.insert(text_inputs.end(), from_file.begin(), from_file.end());
      }
      if (!texts_ && !inputs_.empty()) throw UsageError("embed: --texts-file embeds texts; add --texts to embed the inputs as texts too");
    }
    if ((texts ? text_inputs.size() : inputs_.size()) == 0) throw UsageError("embed: nothing to embed");
    const auto format = output_format();
    auto models = load_models_for(common.context, ModelParts::clip_only());
    auto& clip = models.require_clip();
    EmbeddingFileWriter writer(output_, format, clip.spec.embed_dim);
    InterruptGuard interrupt_guard;  // Ctrl-C: the inputs embedded so far are written, marked interrupted
    size_t skipped = 0;
    if (texts) {
      embed_texts_to(clip, text_inputs, common.display, writer);
    } else {
      skipped = embed_images_to(clip, expand_image_inputs(inputs_, recursive_), common.display, writer);
    }
    const bool interrupted = interrupt_requested();
    if (writer.rows() == 0 && !interrupted) throw InputError("embed: no readable image among the inputs");
    writer.finish({{"format", "vqclip-embeddings"},
                   {"version", 1},
                   {"kind", texts ? "text" : "image"},
                   {"bundle", models.manifest.name},
                   {"clip_files", clip_file_hashes(models.manifest)},
                   {"interrupted", interrupted}});
    spdlog::info("embed: {} {} ({} floats each) to {}{}", writer.rows(), texts ? "texts" : "images",
                 clip.spec.embed_dim, output_.string(),
                 skipped ? fmt::format(", {} skipped", skipped) : std::string());
    if (interrupted) {
      spdlog::warn("interrupted: {} holds the inputs embedded before the signal", output_.string());
      return static_cast<int>(ExitCode::kInterrupted);
    }
    return 0;
  }

 private:
  EmbeddingFormat output_format() const {
    if (format_) return *format_ == "npy" ? EmbeddingFormat::kNpy : EmbeddingFormat::kJsonLines;
    if (output_ == "-") return EmbeddingFormat::kJsonLines;
    const auto extension = output_.extension().string();
    if (extension == ".npy") return EmbeddingFormat::kNpy;
    if (extension == ".jsonl") return EmbeddingFormat::kJsonLines;
    throw UsageError("-o " + output_.string() + ": name a .npy or .jsonl file, or give --format");
  }

  void embed_texts_to(ClipModel& clip, const std::vector<std::string>& texts, const DisplayOptions& display,
                      EmbeddingFileWriter& writer) const {
    CountProgress progress(display, "embedding", "texts");
    for (size_t start = 0; start < texts.size() && !interrupt_requested(); start += batch_) {
      const std::vector<std::string> batch(texts.begin() + static_cast<std::ptrdiff_t>(start),
                                           texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + batch_)));
      writer.add(batch, embed_texts_normalised(clip, batch));
      progress.update(start + batch.size(), texts.size());
    }
  }

  // Unreadable images are skipped with a warning; returns how many.
  size_t embed_images_to(ClipModel& clip, const std::vector<std::filesystem::path>& files,
                         const DisplayOptions& display, EmbeddingFileWriter& writer) const {
    CountProgress progress(display, "embedding", "images");
    const auto outcome = embed_image_batches(
        clip, files, batch_,
        [&](const EmbeddedBatch& batch) {
          std::vector<std::string> names;
          for (const size_t i : batch.indices) names.push_back(files[i].string());
          writer.add(names, batch.embeddings);
          progress.update(batch.done, files.size());
        },
        [] { return !interrupt_requested(); });
    return outcome.skipped;
  }

  std::vector<std::string> inputs_;
  bool texts_ = false;
  std::filesystem::path texts_file_;
  bool recursive_ = false;
  std::filesystem::path output_;
  std::optional<std::string> format_;
  size_t batch_ = kImageBatch;
};

}  // namespace

std::unique_ptr<Command> make_embed_command(CLI::App& parent) { return std::make_unique<EmbedCommand>(parent); }

}  // namespace vqclip::cli
