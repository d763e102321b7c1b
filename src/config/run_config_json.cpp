#include "vqclip/run_config.hpp"

namespace vqclip {

nlohmann::json to_json(const RunConfig& c) {
  nlohmann::json j;
  j["prompts"] = c.prompts;
  j["image_prompts"] = c.image_prompts;
  j["noise_prompts"] = c.noise_prompts;
  j["change_prompt_every"] = c.change_prompt_every;
  j["steps"] = c.steps;
  j["width"] = c.width ? nlohmann::json(*c.width) : nlohmann::json();
  j["height"] = c.height ? nlohmann::json(*c.height) : nlohmann::json();
  j["seed"] = c.seed ? nlohmann::json(*c.seed) : nlohmann::json();
  j["init_image"] = c.init_image;
  j["init_noise"] = c.init_noise;
  j["init_weight"] = c.init_weight;
  j["cutn"] = c.cutn;
  j["cut_pow"] = c.cut_pow;
  j["cut_method"] = c.cut_method;
  j["augments"] = c.augments;
  j["optimiser"] = c.optimiser;
  j["lr"] = c.lr;
  j["lr_drop_at"] = c.lr_drop_at;
  j["lr_drop_factor"] = c.lr_drop_factor;
  j["device"] = c.device;
  j["precision"] = c.precision;
  j["output"] = c.output.string();
  j["metadata"] = c.metadata;
  j["save_every"] = c.save_every;
  j["frames_dir"] = c.frames_dir.string();
  j["frames_every"] = c.frames_every;
  j["log_every"] = c.log_every;
  return j;
}

}  // namespace vqclip
