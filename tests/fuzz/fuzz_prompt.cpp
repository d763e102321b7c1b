// Fuzzes the prompt language, image-prompt and noise-prompt values: a usage
// error or phases whose every prompt has text and finite numbers.
#include <cmath>
#include <string>

#include "fuzz_support.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/prompt.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  try {
    const auto phases = vqclip::parse_prompt(value);
    require(!phases.empty());
    for (const auto& phase : phases) {
      require(!phase.empty());
      for (const auto& spec : phase) {
        require(!spec.text.empty() && std::isfinite(spec.weight) && !std::isnan(spec.stop));
      }
    }
  } catch (const vqclip::ParameterError& e) {
    require(e.field() == "prompts");
  }
  try {
    const auto image = vqclip::parse_image_prompt(value);
    require(!image.text.empty() && std::isfinite(image.weight));
  } catch (const vqclip::ParameterError&) {
  }
  try {
    const auto noise = vqclip::parse_noise_prompt(value);
    require(!noise.text.empty() && noise.text.size() <= 19 && std::isfinite(noise.weight));
  } catch (const vqclip::ParameterError&) {
  }
  return 0;
}
