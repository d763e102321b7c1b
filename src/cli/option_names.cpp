#include "cli/option_names.hpp"

#include <array>
#include <utility>

#include "vqclip/errors.hpp"

namespace vqclip::cli {
namespace {

struct FieldOption {
  const char* field;
  const char* names;  // CLI11 spelling: short and long names, the long one last
};

constexpr std::array<FieldOption, 76> kFieldOptions{{
    // context
    {"models", "--models"},
    {"device", "--device"},
    {"precision", "--precision"},
    {"threads", "--threads"},
    {"verify", "--no-verify"},
    {"max_image_pixels", "--max-image-pixels"},
    {"max_memory", "--max-memory"},
    // generation
    {"prompts", "-p,--prompt"},
    {"image_prompts", "--image-prompt"},
    {"noise_prompts", "--noise-prompt"},
    {"blended_prompts", "--prompt-at"},  // only animate's keyframes make them
    {"change_prompt_every", "--change-prompt-every"},
    {"steps", "-s,--steps"},
    {"size", "--size"},
    {"seed", "--seed"},
    {"init_image", "--init-image"},
    {"init_noise", "--init-noise"},
    {"init_weight", "--init-weight"},
    {"zero_weight", "--zero-weight"},
    {"cutn", "--cutn"},
    {"cutn_batch", "--cutn-batch"},
    {"cut_pow", "--cut-pow"},
    {"cut_method", "--cut-method"},
    {"augments", "--augment"},
    {"optimiser", "--optimiser,--optimizer"},
    {"lr", "--lr"},
    {"lr_drop_at", "--lr-drop-at"},
    {"lr_drop_factor", "--lr-drop-factor"},
    {"hires_scale", "--hires"},
    {"hires_steps", "--hires-steps"},
    {"drawer", "--drawer"},
    {"pixels_colour", "--pixels-colour"},
    {"pixels_space", "--pixels-space"},
    {"pixels_decay", "--pixels-decay"},
    {"pixel_cell", "--pixel-cell"},
    {"pixel_grid", "--pixel-grid"},
    {"palette", "--palette"},
    {"shapes", "--shapes"},
    {"strokes", "--strokes"},
    {"segments", "--segments"},
    {"stroke_width", "--stroke-width"},
    {"vector_softness", "--vector-softness"},
    {"smoothness", "--smoothness"},
    {"symmetry", "--symmetry"},
    {"saturation", "--saturation"},
    {"colours", "--colours"},
    {"colour_weight", "--colour-weight"},
    {"edge_colour", "--edge-colour"},
    {"edge_weight", "--edge-weight"},
    {"edge_width", "--edge-width"},
    {"perceptors", "--perceptor"},
    {"clip_weight", "--clip-weight"},
    // output
    {"output", "-o,--output"},
    {"svg", "--svg"},
    {"metadata", "--metadata"},
    {"save_every", "--save-every"},
    {"frames_dir", "--frames-dir"},
    {"frames_every", "--frames-every"},
    {"state", "--state"},
    {"state_every", "--state-every"},
    {"resume", "--resume"},
    {"candidates", "--candidates"},
    {"keep", "--keep"},
    {"judge", "--judge"},
    // animate
    {"frames", "--frames"},
    {"steps_per_frame", "--steps-per-frame"},
    {"fps", "--fps"},
    {"zoom", "--zoom"},
    {"angle", "--angle"},
    {"translate_x", "--translate-x"},
    {"translate_y", "--translate-y"},
    {"frame_pull", "--frame-pull"},
    {"prompt_keyframes", "--prompt-at"},
    {"latent_smoothing", "--latent-smoothing"},
    // the command line's own
    {"log_every", "--log-every"},
    {"progress", "--progress"},
}};

const FieldOption* find(std::string_view field) {
  for (const auto& entry : kFieldOptions) {
    if (field == entry.field) return &entry;
  }
  return nullptr;
}

}  // namespace

std::string option_names(std::string_view field) {
  const auto* entry = find(field);
  if (!entry) throw InternalError("no command-line option for the field '" + std::string(field) + "'");
  return entry->names;
}

std::string flag_of(std::string_view field) {
  const auto* entry = find(field);
  if (!entry) return std::string(field);
  // The first long name: "--optimiser" of "--optimiser,--optimizer".
  const std::string names = entry->names;
  const auto start = names.find("--");
  return names.substr(start, names.find(',', start) - start);
}

std::string cli_message(const ParameterError& error) { return error.describe(flag_of); }

}  // namespace vqclip::cli
