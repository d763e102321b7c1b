// Other bundles' CLIPs for perceptor ensembles (docs/architecture.md,
// "Perceptor ensembles"), loaded once per Models and kept.
#include <spdlog/spdlog.h>

#include "vqclip/errors.hpp"
#include "vqclip/models.hpp"

namespace vqclip {

void load_perceptors(Models& models, const PerceptorSettings& settings) {
  for (const auto& perceptor : settings.extra) {
    if (models.perceptors.count(perceptor.bundle)) continue;
    LoadOptions options;
    options.device = models.device;
    options.verify_hashes = models.verify_hashes;
    options.parts = ModelParts::clip_only();
    Models loaded;
    try {
      loaded = load_models(perceptor.bundle, options);
    } catch (const BundleError& e) {
      throw BundleError("perceptor " + perceptor.bundle.string() + ": " + e.what());
    }
    spdlog::info("CLIP of {} judges too (weight {})", loaded.manifest.name, perceptor.weight);
    models.perceptors.emplace(perceptor.bundle, PerceptorModel{std::move(loaded.manifest), std::move(*loaded.clip)});
  }
}

std::vector<JudgingClip> judging_clips(Models& models, const PerceptorSettings& settings) {
  std::vector<JudgingClip> clips;
  if (settings.clip_weight > 0) clips.push_back({&models.require_clip(), settings.clip_weight, &models.manifest});
  for (const auto& perceptor : settings.extra) {
    const auto found = models.perceptors.find(perceptor.bundle);
    if (found == models.perceptors.end()) {
      throw BundleError("perceptor " + perceptor.bundle.string() + ": its CLIP was not loaded");
    }
    clips.push_back({&found->second.clip, perceptor.weight, &found->second.manifest});
  }
  return clips;
}

}  // namespace vqclip
