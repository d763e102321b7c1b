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
#include "vqclip/enum_names.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/limits.hpp"

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

struct GenerationParams {
  // Prompts: each text is one value in the prompt language (`text[:weight[:stop]]`,
  // '|' joins prompts, '^' separates story phases); several are simultaneous.
  std::vector<std::string> prompts;
  std::vector<ImagePrompt> image_prompts;
  std::vector<NoisePrompt> noise_prompts;
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

  CutoutSettings cutouts;
  OptimiserSettings optimiser;

  // Whether the run needs the VQGAN encoder (it starts from a picture).
  bool starts_from_picture() const { return init_image.has_value() || init_noise != InitNoise::kNone; }
};

// Checks every value against its range and the combinations that exclude each
// other, parsing the prompts. Throws ParameterError naming the field.
void validate(const GenerationParams& params);

// Validates, then fills in the seed (random when absent, below 2^53 so that
// JSON keeps it exact) and the size (the bundle's default when absent, rounded
// to the VQGAN factor, at least one latent cell), and checks the bounds that
// depend on the size. The result has seed, width and height set.
GenerationParams resolve(const GenerationParams& params, const Manifest& manifest);

// A random seed below 2^53.
uint64_t random_seed();

// Every field, typed values spelled as the name tables spell them.
nlohmann::json to_json(const GenerationParams& params);

// The parameters back from to_json's form (a picture's record), pictures as
// files. Fields later versions added may be missing and take their defaults.
// Throws InputError naming `where` and the field of a wrong type; the values
// themselves are for validate() to judge.
GenerationParams generation_from_json(const nlohmann::json& generation, const std::string& where);

}  // namespace vqclip
