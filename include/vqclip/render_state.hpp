#pragma once
// A render's whole state after a step, enough to continue it bit for bit in
// another process (docs/architecture.md, "Resumable renders"): what it was
// made with, the drawer's parameters, the optimiser's moments, the random generator and
// the step. render() hands states to RenderCallbacks::on_state and continues
// from one given to it; RenderOutput writes them to a file.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "vqclip/generation_params.hpp"

namespace vqclip {

// What RenderLoop needs to take up where it stopped.
struct LoopState {
  int steps_done = 0;
  bool lr_dropped = false;
  double last_loss = 0;
  std::vector<torch::Tensor> parameters;  // the drawer's (Drawer::parameters), float32 on the CPU
  torch::Tensor generator_state;  // the run's generator (at::Generator::get_state), on the CPU
  std::string optimiser_state;    // the optimiser's own archive, serialised
};

// A render with a high-resolution pass, taken during that pass: what the
// pass started from, since the first pass is not run again.
struct SecondPassState {
  std::vector<torch::Tensor> start;  // the drawer's parameters from the first picture upscaled, on the CPU
  nlohmann::json first_pass;   // the first pass's entry in the record's "passes"
};

struct RenderState {
  // {"generation": the resolved parameters, "bundle": file hashes, "context": device,
  // precision and threads}: a state continues only the render it came from.
  nlohmann::json made_with;
  LoopState loop;                             // the first pass's loop, or the second's when second_pass is set
  std::optional<SecondPassState> second_pass;
  std::string source = "<in memory>";  // the file it was read from, for messages

  // Steps of the render done, over both passes.
  int steps_done() const;
};

// Writes the state atomically (a temporary file renamed over `path`). Throws OutputError.
void save_render_state(const RenderState& state, const std::filesystem::path& path);
// Throws InputError naming the file when it is missing, not a state file or damaged.
RenderState load_render_state(const std::filesystem::path& path);

// `params` with what the state settles where they leave it open: the seed and
// the micro-batch size it was rendered with.
GenerationParams adopt_from_state(GenerationParams params, const RenderState& state);

// The made_with of a render from these parts (render() builds it; tests compare).
nlohmann::json render_made_with(const nlohmann::json& record);

// Throws ParameterError naming the first difference (a generation field, the
// bundle, the device or precision) between a state and the render asked for.
// A different thread count only warns: the run continues, but its pixels may
// differ from an uninterrupted run's in the last bits.
void check_resumable(const RenderState& state, const nlohmann::json& made_with);

}  // namespace vqclip
