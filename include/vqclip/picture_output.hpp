#pragma once
// Writing a rendered picture with its run metadata: a `parameters` tEXt chunk
// in the convention image tools read, plus the whole record as JSON (an iTXt
// chunk `vqclip`, or a sidecar .json), always atomically.
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace vqclip {

// Keyword of the iTXt chunk that holds the JSON record.
inline constexpr const char* kMetadataKeyword = "vqclip";

// "prompt\nSteps: N, Seed: N, Size: WxH, Model: NAME, ..." from the record.
std::string parameters_text(const nlohmann::json& record);

// mode: "png" (chunks in the PNG), "sidecar" (PATH with .json extension next
// to the PNG) or "none". picture: [1,3,H,W] in [0,1]. Throws OutputError.
void save_picture(const std::filesystem::path& path, const torch::Tensor& picture, const nlohmann::json& record,
                  const std::string& mode);

// The sidecar path for a picture: out.png -> out.json.
std::filesystem::path sidecar_path(const std::filesystem::path& picture_path);

// The JSON record of a picture written by save_picture (PNG chunk, else sidecar).
// Throws InputError if there is none.
nlohmann::json read_picture_record(const std::filesystem::path& path);

}  // namespace vqclip
