#include <spdlog/spdlog.h>

#include "cli/command.hpp"

#include <optional>

namespace vqclip::cli {

Models load_models_for(const ContextParams& context, ModelParts parts) {
  const auto resolved = resolve(context);
  spdlog::debug("context {}", to_json(resolved).dump());
  return load_models(resolved, parts);
}

std::optional<Models> load_judge(const ContextParams& context, const std::filesystem::path& judge, int threads) {
  if (judge.empty()) return std::nullopt;
  auto judge_context = context;
  judge_context.models = judge;
  judge_context.threads = threads;  // the render's own count: loading must not change it
  auto models = load_models_for(judge_context, ModelParts::clip_only());
  spdlog::info("candidates judged by the CLIP of {}", models.manifest.name);
  return models;
}

}  // namespace vqclip::cli
