#include "vqclip/picture_output.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/bounded_json.hpp"
#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/record.hpp"

namespace vqclip {

std::filesystem::path sidecar_path(const std::filesystem::path& picture_path) {
  auto path = picture_path;
  return path.replace_extension(".json");
}

std::string frame_file_name(int step) {
  char name[32];
  std::snprintf(name, sizeof name, "frame_%06d.png", step);
  return name;
}

void save_picture(const std::filesystem::path& path, const torch::Tensor& picture, const nlohmann::json& record,
                  MetadataMode mode) {
  PngText chunks;
  if (mode == MetadataMode::kPng) {
    chunks.text.emplace_back("parameters", parameters_text(record));
    chunks.itxt.emplace_back(kMetadataKeyword, record.dump());
  }
  write_file_atomically(path, encode_png(tensor_to_image(picture), chunks));
  if (mode == MetadataMode::kSidecar) write_file_atomically(sidecar_path(path), record.dump(2) + "\n");
}

void save_svg(const std::filesystem::path& path, const std::string& svg, const nlohmann::json& record) {
  // The record as the root element's first child; JSON needs only &, < and > escaped in XML text.
  std::string escaped;
  for (const char c : record.dump()) {
    if (c == '&') escaped += "&amp;";
    else if (c == '<') escaped += "&lt;";
    else if (c == '>') escaped += "&gt;";
    else escaped += c;
  }
  const auto root = svg.find("<svg");
  const auto after_root = root == std::string::npos ? std::string::npos : svg.find('>', root);
  if (after_root == std::string::npos) throw InternalError("save_svg: no <svg> element");
  write_file_atomically(path, svg.substr(0, after_root + 1) + "\n<metadata id=\"" + kMetadataKeyword + "\">" + escaped +
                                  "</metadata>" + svg.substr(after_root + 1));
}

nlohmann::json read_picture_record(const std::filesystem::path& path) {
  for (const auto& [keyword, value] : read_png_text(path)) {
    if (keyword != kMetadataKeyword) continue;
    try {
      return parse_bounded_json(value);
    } catch (const std::exception& e) {  // malformed, or nested too deep
      throw InputError(path.string() + ": the vqclip metadata chunk is not valid JSON (" + e.what() + ")");
    }
  }
  const auto sidecar = sidecar_path(path);
  std::ifstream in(sidecar);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    try {
      return parse_bounded_json(text.str());
    } catch (const std::exception& e) {
      throw InputError(sidecar.string() + ": not valid JSON (" + e.what() + ")");
    }
  }
  throw InputError(path.string() + ": no vqclip metadata (neither a '" + std::string(kMetadataKeyword) +
                   "' PNG chunk nor " + sidecar.filename().string() + ")");
}

}  // namespace vqclip
