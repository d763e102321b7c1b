#pragma once
// The prompt language (docs/architecture.md, "The prompt language"): `|`
// joins simultaneous prompts, each `text[:weight[:stop]]`; `^` separates story
// phases. Only a trailing numeric `:weight` or `:weight:stop` is parsed, so
// texts with colons survive.
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace vqclip {

struct PromptSpec {
  std::string text;  // text, image path or noise seed, depending on the kind
  double weight = 1.0;
  double stop = -std::numeric_limits<double>::infinity();
};

using PromptPhase = std::vector<PromptSpec>;

// One -p value: phases separated by '^', each a '|' list of prompts.
// A text's `:number` suffix is a weight only when the character before the
// colon is not a digit, so "ratio 3:2" and "at 10:30" stay text.
// Throws ParameterError (naming `field` and the value) for empty parts or
// non-finite numbers.
std::vector<PromptPhase> parse_prompt(std::string_view value, std::string_view field = "prompts");

// Several -p values are simultaneous: phase k of the story holds phase k of
// each value (a value with fewer phases keeps its last one).
std::vector<PromptPhase> merge_prompt_phases(const std::vector<std::vector<PromptPhase>>& values);

// PATH[:weight[:stop]] of an image prompt (errors name field image_prompts).
PromptSpec parse_image_prompt(std::string_view value);

// SEED[:weight] of a noise prompt; `text` holds the seed digits (field noise_prompts).
PromptSpec parse_noise_prompt(std::string_view value);

}  // namespace vqclip
