#include "vqclip/output_params.hpp"

#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip {

void validate(const OutputParams& params) {
  if (params.path.empty()) throw ParameterError("output", "'': the path is empty");
  if (params.save_every < 0) {
    throw ParameterError("save_every", std::to_string(params.save_every) + ": expected 0 (never) or more steps");
  }
  if (params.frames_every < 1) {
    throw ParameterError("frames_every", std::to_string(params.frames_every) + ": expected 1 or more steps");
  }
}

void check_writable(const OutputParams& params) {
  check_writable(params.path);
  if (params.metadata == MetadataMode::kSidecar) check_writable(sidecar_path(params.path));
  if (!params.frames_dir.empty()) check_writable(params.frames_dir / frame_file_name(0));
}

nlohmann::json to_json(const OutputParams& params) {
  return {{"metadata", name_of(params.metadata)},
          {"save_every", params.save_every},
          {"frames_dir", params.frames_dir.string()},
          {"frames_every", params.frames_every}};
}

}  // namespace vqclip
