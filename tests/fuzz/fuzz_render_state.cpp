// Fuzzes reading a render's state file (a torch archive: zip, pickled values,
// tensors, then a SHA-256 of it) and what render() does with it before the
// first step: the typed entries, the made_with record held against a
// render's own, the parameters a state settles, and the generation parameters
// read back from such a record (the same reader as `vqclip rerun`). Inputs
// whose first byte is odd get a valid checksum appended, so that the archive
// reader behind the checksum is fuzzed too; the others test the checksum.
// Any failure is an InputError or a ParameterError.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "model/sha256.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/render_state.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size > 0 && (data[0] & 1)) {
    bytes = bytes.substr(1);
    bytes += "\nvqclip-state-sha256:" + vqclip::sha256_hex(bytes.data(), bytes.size()) + "\n";
  }
  const auto path = vqclip::fuzz::write_input("run.state", reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  try {
    const auto state = vqclip::load_render_state(path);
    require(state.made_with.is_object() && state.made_with["generation"].is_object());
    require(state.loop.latent.dim() == 4);
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
    }
  } catch (const vqclip::InputError&) {
  }
  return 0;
}
