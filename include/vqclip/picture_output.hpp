#pragma once
// Writing a rendered picture with its run record: a `parameters` tEXt chunk
// in the convention image tools read, plus the whole record as JSON (an iTXt
// chunk `vqclip`, or a sidecar .json), always atomically.
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "vqclip/output_params.hpp"

namespace vqclip {

// Keyword of the iTXt chunk that holds the JSON record.
inline constexpr const char* kMetadataKeyword = "vqclip";

// picture: [1,3,H,W] in [0,1] on any device. With MetadataMode::kSidecar the
// record goes to sidecar_path(path). Throws OutputError.
void save_picture(const std::filesystem::path& path, const torch::Tensor& picture, const nlohmann::json& record,
                  MetadataMode mode);

// An SVG document (a vector drawer's) with the record in a <metadata
// id="vqclip"> element, atomically. Throws OutputError.
void save_svg(const std::filesystem::path& path, const std::string& svg, const nlohmann::json& record);

// The sidecar path for a picture: out.png -> out.json.
std::filesystem::path sidecar_path(const std::filesystem::path& picture_path);

// "frame_000012.png": the numbered frame of step 12.
std::string frame_file_name(int step);

// The JSON record of a picture written by save_picture (PNG chunk, else sidecar).
// Throws InputError if there is none.
nlohmann::json read_picture_record(const std::filesystem::path& path);

}  // namespace vqclip
