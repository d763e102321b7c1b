#include "vqclip/output_params.hpp"

#include "vqclip/atomic_file.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/limits.hpp"
#include "vqclip/picture_output.hpp"

namespace vqclip {

void route_svg_output(OutputParams& params) {
  if (params.path.extension() != ".svg") return;
  if (!params.svg_path.empty()) {
    throw ParameterError("svg", "given with an output that is an SVG already ('" + params.path.string() + "')",
                         {"output"});
  }
  params.svg_path = params.path;
  params.path.replace_extension(".png");
}

void validate(const OutputParams& params) {
  if (params.path.empty()) throw ParameterError("output", "'': the path is empty");
  if (!params.svg_path.empty() && (params.svg_path == params.path || params.svg_path == params.state_path)) {
    throw ParameterError("svg", "'" + params.svg_path.string() + "' is also the picture's or the state's path",
                         {"output"});
  }
  if (params.save_every < 0) {
    throw ParameterError("save_every", std::to_string(params.save_every) + ": expected 0 (never) or more steps");
  }
  if (params.state_every < 1) {
    throw ParameterError("state_every", std::to_string(params.state_every) + ": expected 1 or more steps");
  }
  if (!params.state_path.empty() && params.state_path == params.path) {
    throw ParameterError("state", "'" + params.state_path.string() + "' is also the picture's path", {"output"});
  }
  if (params.candidates < 1 || params.candidates > limits::kMaxCandidates) {
    throw ParameterError("candidates", std::to_string(params.candidates) + ": expected 1 to " +
                                           std::to_string(limits::kMaxCandidates));
  }
  if (params.keep < 1 || params.keep > params.candidates) {
    throw ParameterError("keep", std::to_string(params.keep) + ": expected 1 to {candidates} (" +
                                     std::to_string(params.candidates) + ")",
                         {"candidates"});
  }
  if (params.candidates > 1) {
    // Each candidate would write over the others' files.
    for (const auto& [field, given] : {std::pair{"state", !params.state_path.empty()},
                                       std::pair{"frames_dir", !params.frames_dir.empty()},
                                       std::pair{"svg", !params.svg_path.empty()},
                                       std::pair{"save_every", params.save_every > 0}}) {
      if (given) {
        throw ParameterError("candidates", "cannot be combined with {" + std::string(field) + "}", {field});
      }
    }
  }
  if (!params.judge.empty() && params.candidates == 1) {
    throw ParameterError("judge", "judges candidates: it needs {candidates} 2 or more", {"candidates"});
  }
  if (params.frames_every < 1) {
    throw ParameterError("frames_every", std::to_string(params.frames_every) + ": expected 1 or more steps");
  }
}

void check_writable(const OutputParams& params) {
  check_writable(params.path);
  if (params.metadata == MetadataMode::kSidecar) check_writable(sidecar_path(params.path));
  if (!params.frames_dir.empty()) check_writable(params.frames_dir / frame_file_name(0));
  if (!params.state_path.empty()) check_writable(params.state_path);
  if (!params.svg_path.empty()) check_writable(params.svg_path);
  for (int rank = 2; rank <= params.keep; ++rank) check_writable(ranked_path(params.path, rank));
}

std::filesystem::path ranked_path(const std::filesystem::path& path, int rank) {
  if (rank <= 1) return path;
  auto ranked = path;
  ranked.replace_filename(path.stem().string() + "-" + std::to_string(rank) + path.extension().string());
  return ranked;
}

nlohmann::json to_json(const OutputParams& params) {
  return {{"metadata", name_of(params.metadata)},
          {"save_every", params.save_every},
          {"frames_dir", params.frames_dir.string()},
          {"frames_every", params.frames_every},
          {"candidates", params.candidates},
          {"keep", params.keep}};
}

}  // namespace vqclip
