#include "vqclip/picture_output.hpp"

#include <fstream>
#include <sstream>

#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"

namespace vqclip {
namespace {

std::string number_text(const nlohmann::json& value) {
  if (value.is_number_float()) {
    std::ostringstream out;
    out << value.get<double>();
    return out.str();
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string parameters_text(const nlohmann::json& record) {
  const auto& config = record.at("config");
  std::string prompt;
  for (const auto& p : config.at("prompts")) prompt += (prompt.empty() ? "" : " | ") + p.get<std::string>();
  std::ostringstream line;
  line << prompt << "\n"
       << "Steps: " << record.at("steps_done").get<int>() << ", Seed: " << record.at("seed").get<uint64_t>()
       << ", Size: " << record.at("width").get<int>() << "x" << record.at("height").get<int>()
       << ", Model: " << record.at("bundle").at("name").get<std::string>()
       << ", Cutn: " << config.at("cutn").get<int>() << ", Cut method: " << config.at("cut_method").get<std::string>()
       << ", Optimiser: " << config.at("optimiser").get<std::string>() << ", LR: " << number_text(config.at("lr"))
       << ", Loss: " << number_text(record.at("final_loss")) << ", Version: vqclip "
       << record.at("version").get<std::string>();
  if (record.value("interrupted", false)) line << ", Interrupted: true";
  return line.str();
}

std::filesystem::path sidecar_path(const std::filesystem::path& picture_path) {
  auto path = picture_path;
  return path.replace_extension(".json");
}

void save_picture(const std::filesystem::path& path, const torch::Tensor& picture, const nlohmann::json& record,
                  const std::string& mode) {
  PngText chunks;
  if (mode == "png") {
    chunks.text.emplace_back("parameters", parameters_text(record));
    chunks.itxt.emplace_back(kMetadataKeyword, record.dump());
  }
  write_file_atomically(path, encode_png(tensor_to_image(picture), chunks));
  if (mode == "sidecar") write_file_atomically(sidecar_path(path), record.dump(2) + "\n");
}

nlohmann::json read_picture_record(const std::filesystem::path& path) {
  for (const auto& [keyword, value] : read_png_text(path)) {
    if (keyword != kMetadataKeyword) continue;
    try {
      return nlohmann::json::parse(value);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path.string() + ": the vqclip metadata chunk is not valid JSON (" + e.what() + ")");
    }
  }
  const auto sidecar = sidecar_path(path);
  std::ifstream in(sidecar);
  if (in) {
    try {
      return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(sidecar.string() + ": not valid JSON (" + e.what() + ")");
    }
  }
  throw InputError(path.string() + ": no vqclip metadata (neither a '" + std::string(kMetadataKeyword) +
                   "' PNG chunk nor " + sidecar.filename().string() + ")");
}

}  // namespace vqclip
