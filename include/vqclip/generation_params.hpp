#pragma once
// What one picture is made of: prompts, the loop's length and size, the seed,
// where it starts, how views are cut and how the latent is optimised. Every
// entry point fills these, validate() checks them before any model is loaded,
// and resolve() fills in what depends on the bundle (size) or on chance (seed).
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vqclip/bundle.hpp"
#include "vqclip/cutout_settings.hpp"
#include "vqclip/drawer_settings.hpp"
#include "vqclip/enum_names.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/limits.hpp"
#include "vqclip/perceptor_settings.hpp"
#include "vqclip/picture_losses.hpp"

namespace vqclip {

enum class Optimiser { kAdam, kAdamW, kAdagrad, kRmsprop, kSgd };

template <>
struct EnumTable<Optimiser> {
  static constexpr std::array<EnumName<Optimiser>, 5> names{{{Optimiser::kAdam, "adam"},
                                                             {Optimiser::kAdamW, "adamw"},
                                                             {Optimiser::kAdagrad, "adagrad"},
                                                             {Optimiser::kRmsprop, "rmsprop"},
                                                             {Optimiser::kSgd, "sgd"}}};
};

// A starting picture of noise instead of random codes.
enum class InitNoise { kNone, kPixels, kGradient };

template <>
struct EnumTable<InitNoise> {
  static constexpr std::array<EnumName<InitNoise>, 3> names{
      {{InitNoise::kNone, "none"}, {InitNoise::kPixels, "pixels"}, {InitNoise::kGradient, "gradient"}}};
};

struct OptimiserSettings {
  Optimiser kind = Optimiser::kAdam;
  double lr = 0.1;
  double lr_drop_at = 0.0;      // fraction of the run after which lr drops; 0 = never
  double lr_drop_factor = 0.1;  // lr is multiplied by this at the drop
};

// A picture given as a file (read when the render starts) or in memory.
struct ImageSource {
  std::filesystem::path path;
  std::shared_ptr<const RgbImage> pixels;  // when set, used instead of reading `path`

  static ImageSource file(std::filesystem::path path);
  static ImageSource in_memory(RgbImage image, std::string label = "");
  // The path, or the in-memory picture's label ("<image 64x64>" by default).
  std::string label() const;
  // Throws InputError naming the file if it cannot be read.
  RgbImage read() const;
};

struct ImagePrompt {
  ImageSource image;
  double weight = 1.0;
  double stop = -std::numeric_limits<double>::infinity();
};

// A random embedding from its own seed.
struct NoisePrompt {
  uint64_t seed = 0;
  double weight = 1.0;
};

// A text target between two texts: their unit embeddings interpolated along
// the sphere (slerp) at `t`, so the target moves at an even angular speed.
// What an animation's keyframed prompts aim at between keyframes.
struct BlendedPrompt {
  std::string from;
  std::string to;
  double t = 0;          // 0: `from`, 1: `to`
  double weight = 1.0;
};

// A second pass at a larger size: the first pass's picture, upscaled, is
// encoded by the VQGAN and refined (docs/architecture.md, "High-resolution pass").
struct HiresSettings {
  double scale = 0;          // 0 = no second pass; otherwise above 1, at most limits::kMaxHiresScale
  std::optional<int> steps;  // the second pass's steps; default (resolve): half of `steps`, at least 1

  bool enabled() const { return scale > 0; }
};

struct GenerationParams {
  // Prompts: each text is one value in the prompt language (`text[:weight[:stop]]`,
  // '|' joins prompts, '^' separates story phases); several are simultaneous.
  std::vector<std::string> prompts;
  std::vector<ImagePrompt> image_prompts;
  std::vector<NoisePrompt> noise_prompts;
  std::vector<BlendedPrompt> blended_prompts;  // join every story phase, as image prompts do
  int change_prompt_every = 0;  // steps per story phase; 0 = the steps split evenly

  int steps = 300;
  std::optional<int> width;     // default: the bundle's; rounded to the VQGAN factor
  std::optional<int> height;
  std::optional<uint64_t> seed; // default: random (resolve() draws it)

  // Where the latent starts: random codebook vectors unless one of these is set.
  std::optional<ImageSource> init_image;
  InitNoise init_noise = InitNoise::kNone;
  double init_weight = 0.0;     // constant pull back towards the initial latent (Crowson's notebook)
  double zero_weight = 0.0;     // pull towards zero fading as 1/(2i+1) (nerdyrodent's generate.py -iw)

  DrawerSettings drawer;        // what is optimised: the VQGAN latent by default
  PictureLosses losses;         // pixray's extra losses on the picture, all off by default
  PerceptorSettings perceptors; // which CLIPs judge: the bundle's alone by default
  CutoutSettings cutouts;
  OptimiserSettings optimiser;
  HiresSettings hires;

  // Whether the run starts from a picture (an init image or noise) instead of random codes.
  bool starts_from_picture() const { return init_image.has_value() || init_noise != InitNoise::kNone; }
  // Whether the run needs the VQGAN encoder: the VQGAN drawer starts from a
  // picture or has a second pass.
  bool needs_encoder() const { return drawer.is_vqgan() && (starts_from_picture() || hires.enabled()); }
  // Whether the run needs the VQGAN at all: its drawer is the VQGAN's.
  bool needs_vqgan() const { return drawer.is_vqgan(); }
};

// Checks every value against its range and the combinations that exclude each
// other, parsing the prompts. Throws ParameterError naming the field.
void validate(const GenerationParams& params);

// Validates, then fills in the seed (random when absent, below 2^53 so that
// JSON keeps it exact), the drawer (vqgan when absent) and the size (the
// bundle's default when absent, rounded to the drawer's size_multiple(), at
// least one multiple; a pixel-art grid sets the cell from the width), and
// checks the bounds that depend on the size. The result has seed, drawer,
// width and height set.
GenerationParams resolve(const GenerationParams& params, const Manifest& manifest);

// The second pass's size for resolved parameters with a hires pass: the
// first pass's size times the scale, rounded to `factor` (the drawer's size_multiple()).
struct PictureSize {
  int width = 0;
  int height = 0;
};
PictureSize hires_size(const GenerationParams& resolved, int factor);

// A random seed below 2^53.
uint64_t random_seed();

// Every field, typed values spelled as the name tables spell them.
nlohmann::json to_json(const GenerationParams& params);

// The first field in which two of to_json's forms differ, or nothing. A field
// missing from `earlier` (written before that field existed) counts as its
// default (and a missing drawer as the VQGAN's), so states and pictures made
// before it still match.
std::optional<std::string> first_generation_difference(const nlohmann::json& earlier, const nlohmann::json& now);

// The parameters back from to_json's form (a picture's record), pictures as
// files. Fields later versions added may be missing and take their defaults.
// Throws InputError naming `where` and the field of a wrong type; the values
// themselves are for validate() to judge.
GenerationParams generation_from_json(const nlohmann::json& generation, const std::string& where);

}  // namespace vqclip
