#pragma once
// Where a rendered picture goes: the file, its metadata, periodic saves and
// numbered frames. render() writes nothing itself; RenderOutput (render_output.hpp)
// does this through render()'s callbacks.
#include <array>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "vqclip/enum_names.hpp"

namespace vqclip {

enum class MetadataMode { kPng, kSidecar, kNone };

template <>
struct EnumTable<MetadataMode> {
  static constexpr std::array<EnumName<MetadataMode>, 3> names{
      {{MetadataMode::kPng, "png"}, {MetadataMode::kSidecar, "sidecar"}, {MetadataMode::kNone, "none"}}};
};

struct OutputParams {
  std::filesystem::path path = "output.png";
  std::filesystem::path svg_path;              // the vector drawer's SVG too (empty: none)
  MetadataMode metadata = MetadataMode::kPng;  // record in a PNG chunk, a .json beside it, or nowhere
  int save_every = 0;                          // refresh the picture every N steps; 0 = only at the end
  std::filesystem::path frames_dir;            // numbered frames frame_000001.png, ... (empty: none)
  int frames_every = 1;
  std::filesystem::path state_path;            // the render's state, to resume from (empty: none)
  int state_every = 25;                        // steps between states; one is also written at the end and on a stop
  // Best of N: render `candidates` seeds (the seed, seed + 1, ...) and keep the
  // `keep` that match the prompts best by CLIP, the bundle's or `judge`'s.
  int candidates = 1;
  int keep = 1;
  std::filesystem::path judge;                 // a bundle whose CLIP judges (empty: the rendering one)
};

// Where the picture ranked `rank` (1-based) of a best-of-N goes: the path
// itself for the best, "NAME-2.png", "NAME-3.png", ... for the next.
std::filesystem::path ranked_path(const std::filesystem::path& path, int rank);

// `-o x.svg`: the SVG goes to x.svg, the raster with its record to x.png.
void route_svg_output(OutputParams& params);

// Throws ParameterError naming the field.
void validate(const OutputParams& params);

// Checks, before any model is loaded, that every file the output will write
// can be written (creating missing folders). Throws OutputError naming it.
void check_writable(const OutputParams& params);

// {"metadata", "save_every", "frames_dir", "frames_every", "candidates", "keep"}: where it was written is not part of it.
nlohmann::json to_json(const OutputParams& params);

}  // namespace vqclip
