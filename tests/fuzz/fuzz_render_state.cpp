// Fuzzes what vqclip itself does with a render's state file before the first
// step. Inputs whose first byte is even are state files: the checksum at their
// end must refuse every change to a valid one before libtorch's archive reader
// sees it (that reader is trusted-input code, as the bundle's TorchScript
// modules are: it crashes on crafted archives, docs/architecture.md, "Resumable
// renders"). Inputs whose first byte is odd are the state's made_with record:
// held against a render's own (check_resumable), the parameters it settles
// (adopt_from_state) and the generation read back from it (the reader of
// `vqclip rerun`). Any failure is an InputError or a ParameterError.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_state.hpp"

using vqclip::fuzz::require;

namespace {

void use_made_with(const vqclip::RenderState& state) {
  vqclip::GenerationParams params;
  params.prompts = {"a red circle"};
  const auto adopted = vqclip::adopt_from_state(params, state);
  require(adopted.cutouts.batch >= 0 && adopted.cutouts.batch <= adopted.cutouts.cutn);
  try {
    const nlohmann::json here{{"generation", vqclip::to_json(adopted)},
                              {"bundle", nlohmann::json::object()},
                              {"context", {{"device", "cpu"}, {"precision", "fp32"}, {"threads", 1}}}};
    vqclip::check_resumable(state, here);
  } catch (const vqclip::ParameterError&) {
  }
  try {
    vqclip::validate(vqclip::generation_from_json(state.made_with["generation"], "fuzz"));
  } catch (const vqclip::ParameterError&) {
  } catch (const vqclip::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0 && (data[0] & 1)) {
    vqclip::RenderState state;
    // As load_render_state accepts it: an object with a generation object.
    state.made_with = nlohmann::json::parse(data + 1, data + size, nullptr, false);
    if (state.made_with.is_object() && state.made_with.contains("generation") &&
        state.made_with["generation"].is_object()) {
      use_made_with(state);
    }
    return 0;
  }
  const auto path = vqclip::fuzz::write_input("run.state", data, size);
  try {
    const auto state = vqclip::load_render_state(path);
    require(state.made_with.is_object() && state.made_with["generation"].is_object());
    require(!state.loop.parameters.empty() && state.loop.parameters[0].defined());
    use_made_with(state);
  } catch (const vqclip::InputError&) {
  }
  return 0;
}
