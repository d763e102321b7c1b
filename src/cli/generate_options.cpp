#include "cli/generate_options.hpp"

namespace vqclip::cli {
namespace {

const char* kPromptGroup = "Prompts";
const char* kPictureGroup = "Picture";
const char* kCutoutGroup = "Cutouts and augmentations";
const char* kOptimiserGroup = "Optimiser";
const char* kOutputGroup = "Output";

}  // namespace

std::vector<const CLI::Option*> add_generate_options(CLI::App& app, RunConfig& c) {
  std::vector<const CLI::Option*> added;
  auto track = [&added](CLI::Option* option) { added.push_back(option); };

  track(app.add_option("-p,--prompt", c.prompts,
                       "Text prompt: 'text[:weight[:stop]]', '|' joins prompts, '^' separates story phases")
            ->group(kPromptGroup)->type_name("TEXT"));
  track(app.add_option("--image-prompt", c.image_prompts, "Image as a prompt: PATH[:weight[:stop]]")
            ->group(kPromptGroup)->type_name("PATH"));
  track(app.add_option("--noise-prompt", c.noise_prompts, "Random embedding as a prompt: SEED[:weight]")
            ->group(kPromptGroup)->type_name("SEED"));
  track(app.add_option("--change-prompt-every", c.change_prompt_every,
                       "Steps per story phase ('^'); 0 splits the steps evenly")
            ->group(kPromptGroup)->check(CLI::NonNegativeNumber));

  track(app.add_option("-s,--steps", c.steps, "Optimisation steps")
            ->group(kPictureGroup)->check(CLI::Range(1, 1000000)));
  track(app.add_option("--size", [&c](const CLI::results_t& r) {
                         c.width = std::stoi(r.at(0));
                         c.height = std::stoi(r.at(1));
                         return true;
                       }, "Picture size W H in pixels (default: the bundle's), rounded to the VQGAN factor")
            ->group(kPictureGroup)->expected(2)->type_name("W H")
            ->check(CLI::Range(8, 8192)));
  track(app.add_option("--seed", [&c](const CLI::results_t& r) {
                         const std::string& text = r.at(0);
                         try {
                           if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
                             throw std::invalid_argument(text);
                           }
                           c.seed = std::stoull(text);  // out_of_range past 2^64 - 1
                         } catch (const std::logic_error&) {
                           throw CLI::ValidationError("--seed", text + " is not an integer in [0, 2^64)");
                         }
                         return true;
                       }, "Random seed (default: random; the seed used is logged and recorded)")
            ->group(kPictureGroup)->type_name("UINT"));
  track(app.add_option("--init-image", c.init_image, "Start from this image (needs the bundle's VQGAN encoder)")
            ->group(kPictureGroup)->type_name("PATH"));
  track(app.add_option("--init-noise", c.init_noise, "Start from a noise image")
            ->group(kPictureGroup)->check(CLI::IsMember({"pixels", "gradient"})));
  track(app.add_option("--init-weight", c.init_weight, "Weight of the pull back towards the initial latent")
            ->group(kPictureGroup)->check(CLI::NonNegativeNumber));

  track(app.add_option("--cutn", c.cutn, "Cutouts per step")->group(kCutoutGroup)->check(CLI::Range(1, 1024)));
  track(app.add_option("--cut-pow", c.cut_pow, "Cutout size power (crops method)")
            ->group(kCutoutGroup)->check(CLI::Range(0.0, 10.0)));
  track(app.add_option("--cut-method", c.cut_method, "How views are cut from the picture")
            ->group(kCutoutGroup)->check(CLI::IsMember({"crops", "pooled"})));
  track(app.add_option("--augment", c.augments,
                       "Comma list of affine,perspective,jitter,erasing,flip,noise, or none")
            ->group(kCutoutGroup)->type_name("LIST"));

  track(app.add_option("--optimiser,--optimizer", c.optimiser, "Optimiser of the latent")
            ->group(kOptimiserGroup)->check(CLI::IsMember({"adam", "adamw", "adagrad", "rmsprop", "sgd"})));
  track(app.add_option("--lr", c.lr, "Learning rate")->group(kOptimiserGroup)->check(CLI::PositiveNumber));
  track(app.add_option("--lr-drop-at", c.lr_drop_at,
                       "Fraction of the run after which the learning rate drops; 0 = never")
            ->group(kOptimiserGroup)->check(CLI::Range(0.0, 1.0)));
  track(app.add_option("--lr-drop-factor", c.lr_drop_factor, "Factor applied to the learning rate at the drop")
            ->group(kOptimiserGroup)->check(CLI::Range(0.0, 1.0)));
  track(app.add_option("--precision", c.precision, "Encoder precision (fp16/bf16 use autocast where supported)")
            ->group(kOptimiserGroup)->check(CLI::IsMember({"fp32", "fp16", "bf16"})));

  track(app.add_option("-o,--output", c.output, "Output PNG")->group(kOutputGroup)->type_name("PATH"));
  track(app.add_option("--metadata", c.metadata, "Where the run's metadata goes")
            ->group(kOutputGroup)->check(CLI::IsMember({"png", "sidecar", "none"})));
  track(app.add_option("--save-every", c.save_every, "Refresh the output every N steps; 0 = only at the end")
            ->group(kOutputGroup)->check(CLI::NonNegativeNumber));
  track(app.add_option("--frames-dir", c.frames_dir, "Write numbered frames here (for a video)")
            ->group(kOutputGroup)->type_name("DIR"));
  track(app.add_option("--frames-every", c.frames_every, "Write a frame every N steps")
            ->group(kOutputGroup)->check(CLI::Range(1, 1000000)));
  track(app.add_option("--log-every", c.log_every, "Log a line every N steps when not on a terminal; 0 = every 10%")
            ->group(kOutputGroup)->check(CLI::NonNegativeNumber));
  return added;
}

std::string first_option_given(const std::vector<const CLI::Option*>& options) {
  for (const CLI::Option* option : options) {
    if (option->count() > 0) return option->get_name();
  }
  return {};
}

}  // namespace vqclip::cli
