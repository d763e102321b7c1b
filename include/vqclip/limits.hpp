#pragma once
// Upper bounds on what one request may ask of the machine, checked by the
// parameter groups' validate() and stated in --help.
#include <cstddef>
#include <cstdint>

namespace vqclip::limits {

inline constexpr int kMaxSteps = 1'000'000;
inline constexpr int kMinSide = 8;
inline constexpr int kMaxSide = 8192;
inline constexpr int64_t kMaxPixels = int64_t{4096} * 4096;  // 16.8 megapixels
inline constexpr int kMaxCutn = 1024;
inline constexpr int kMaxCandidates = 64;  // renders of one prompt in a best-of-N
inline constexpr double kMaxHiresScale = 8;   // a second pass at most 8x each side of the first
inline constexpr int kMaxVectorPaths = 4096;  // the vector drawer's shapes, and its strokes
inline constexpr int kMaxPerceptors = 8;  // other bundles' CLIPs judging one render
inline constexpr double kMaxPixelSteps = 1e11;  // steps x width x height: days of work on a GPU
// A text prompt's bytes: CLIP reads 77 tokens, and the record keeps the text.
inline constexpr size_t kMaxPromptBytes = 16384;

// Input pictures with more pixels are refused from their header, before
// anything is decoded (a small file can declare gigapixels; 8192x8192 decodes
// to 200 MB). The default of ContextParams::max_image_pixels.
inline constexpr int64_t kDefaultMaxImagePixels = int64_t{8192} * 8192;
// Pictures for CLIP (score, classify, search) whose longer side is this many
// times the shorter or more are refused: the shorter side resized to the
// resolution would make the longer one enormous.
inline constexpr int kMaxPictureAspect = 64;

}  // namespace vqclip::limits
