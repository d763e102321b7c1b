#include "vqclip/candidates.hpp"

#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/image_io.hpp"
#include "vqclip/prompt.hpp"

namespace vqclip {

std::vector<std::pair<std::string, double>> judged_prompts(const GenerationParams& params) {
  std::vector<std::vector<PromptPhase>> parsed;
  for (const auto& prompt : params.prompts) parsed.push_back(parse_prompt(prompt, "prompts"));
  std::vector<std::pair<std::string, double>> judged;
  if (parsed.empty()) return judged;
  const auto phases = merge_prompt_phases(parsed);
  for (const auto& spec : phases.back()) {
    if (spec.weight > 0) judged.emplace_back(spec.text, spec.weight);
  }
  return judged;
}

namespace {

// judged_prompts(), never empty.
std::vector<std::pair<std::string, double>> judgeable_prompts(const GenerationParams& params) {
  auto judged = judged_prompts(params);
  if (judged.empty()) {
    throw ParameterError("candidates", "needs a text prompt of positive weight (in the last story phase) to judge "
                                       "the pictures by");
  }
  return judged;
}

}  // namespace

void check_judgeable(const GenerationParams& params) { judgeable_prompts(params); }

double prompt_similarity(ClipModel& judge, const torch::Tensor& picture, const GenerationParams& params) {
  const auto judged = judgeable_prompts(params);
  std::vector<std::string> texts;
  for (const auto& [text, weight] : judged) texts.push_back(text);
  const auto text_embeddings = embed_texts_normalised(judge, texts);
  const auto& spec = judge.spec;
  const auto input = clip_preprocess(tensor_to_image(picture.to(torch::kCPU)), spec.input_resolution, spec.mean, spec.std);
  const auto image = embed_clip_inputs(judge, input)[0];
  double total = 0, weights = 0;
  for (size_t i = 0; i < judged.size(); ++i) {
    total += judged[i].second * torch::dot(image, text_embeddings[static_cast<int64_t>(i)].to(image.device())).item<double>();
    weights += judged[i].second;
  }
  return total / weights;
}

}  // namespace vqclip
