#include <spdlog/spdlog.h>

#include "cli/command.hpp"

namespace vqclip::cli {

Models load_models_for(const ContextParams& context, ModelParts parts) {
  const auto resolved = resolve(context);
  spdlog::debug("context {}", to_json(resolved).dump());
  return load_models(resolved, parts);
}

}  // namespace vqclip::cli
