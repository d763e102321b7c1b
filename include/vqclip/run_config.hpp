#pragma once
// Everything one generation run needs, as given on the command line, and the
// values resolved from it (seed, size, device) that are logged and recorded.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vqclip {

struct RunConfig {
  // Prompts (prompt language: `text[:weight[:stop]]`, `|` and `^`).
  std::vector<std::string> prompts;
  std::vector<std::string> image_prompts;  // PATH[:weight[:stop]]
  std::vector<std::string> noise_prompts;  // SEED[:weight]
  int change_prompt_every = 0;             // 0 = steps split evenly over the phases

  // Picture and loop.
  int steps = 300;
  std::optional<int> width;                // default: the bundle's default_size
  std::optional<int> height;
  std::optional<uint64_t> seed;            // default: random, then recorded
  std::string init_image;
  std::string init_noise;                  // "", "pixels", "gradient"
  double init_weight = 0.0;

  // Cutouts and augmentations.
  int cutn = 32;
  double cut_pow = 1.0;
  std::string cut_method = "pooled";
  std::string augments = "affine,perspective,jitter,erasing,noise";

  // Optimiser.
  std::string optimiser = "adam";
  double lr = 0.1;
  double lr_drop_at = 0.0;                 // fraction of the run; 0 = never
  double lr_drop_factor = 0.1;

  // Hardware.
  std::string device = "auto";
  std::string precision = "fp32";

  // Outputs.
  std::filesystem::path output = "output.png";
  std::string metadata = "png";            // png | sidecar | none
  int save_every = 0;
  std::filesystem::path frames_dir;
  int frames_every = 1;
  int log_every = 0;                       // 0 = every 10% when not a terminal
};

nlohmann::json to_json(const RunConfig& config);

}  // namespace vqclip
