// `vqclip meta FILE`: prints the run record stored with a generated picture,
// or any PNG's text chunks (the 'parameters' chunk other image tools write).
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/picture_output.hpp"
#include "vqclip/record.hpp"

namespace vqclip::cli {
namespace {

using TextChunks = std::vector<std::pair<std::string, std::string>>;

// A picture's metadata: its text chunks and vqclip's record when it has one.
struct PictureMetadata {
  TextChunks text;  // without the record's own chunk
  std::optional<nlohmann::json> record;
};

PictureMetadata read_metadata(const std::filesystem::path& file) {
  const bool has_sidecar = std::filesystem::exists(sidecar_path(file));
  TextChunks chunks;
  try {
    chunks = read_png_text(file);
  } catch (const InputError&) {
    if (!has_sidecar) throw;  // with a sidecar, the record is there whatever the picture is
  }
  PictureMetadata metadata;
  bool has_record_chunk = false;
  for (auto& [keyword, value] : chunks) {
    if (keyword == kMetadataKeyword) {
      has_record_chunk = true;
    } else {
      metadata.text.emplace_back(std::move(keyword), std::move(value));
    }
  }
  if (has_record_chunk || has_sidecar) metadata.record = read_picture_record(file);  // throws when malformed
  return metadata;
}

std::string parameters_line(const std::filesystem::path& file, const PictureMetadata& metadata) {
  if (metadata.record) {
    try {
      return parameters_text(*metadata.record);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(file.string() + ": the vqclip record lacks a field or has one of the wrong type (" +
                       e.what() + ")");
    }
  }
  for (const auto& [keyword, value] : metadata.text) {
    if (keyword == "parameters") return value;
  }
  throw InputError(file.string() + ": no vqclip record and no 'parameters' text chunk");
}

class MetaCommand : public Command {
 public:
  explicit MetaCommand(CLI::App& parent) {
    app = parent.add_subcommand("meta", "Print the metadata of a picture: vqclip's record, or any PNG's text chunks");
    app->add_option("file", file_, "PNG (written by vqclip or any other program)")->required()->type_name("FILE");
    app->add_flag("--parameters", parameters_only_,
                  "Print only the one-line 'parameters' summary (vqclip's, or another tool's 'parameters' chunk)");
    app->add_flag("--json", json_, "Print {file, record, text: [{keyword, value}]} as JSON");
  }

  int run(const CommonOptions&) override {
    const auto metadata = read_metadata(file_);
    if (parameters_only_) {
      std::cout << parameters_line(file_, metadata) << "\n";
    } else if (json_) {
      nlohmann::json text = nlohmann::json::array();
      for (const auto& [keyword, value] : metadata.text) text.push_back({{"keyword", keyword}, {"value", value}});
      const nlohmann::json out{
          {"file", file_.string()}, {"record", metadata.record.value_or(nlohmann::json())}, {"text", text}};
      std::cout << out.dump(2) << "\n";
    } else if (metadata.record) {
      std::cout << metadata.record->dump(2) << "\n";
    } else if (!metadata.text.empty()) {
      for (const auto& [keyword, value] : metadata.text) std::cout << keyword << ": " << value << "\n";
    } else {
      throw InputError(file_.string() + ": no metadata (no text chunks, no vqclip record, no " +
                       sidecar_path(file_).filename().string() + ")");
    }
    return 0;
  }

 private:
  std::filesystem::path file_;
  bool parameters_only_ = false;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_meta_command(CLI::App& parent) { return std::make_unique<MetaCommand>(parent); }

}  // namespace vqclip::cli
