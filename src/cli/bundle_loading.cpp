#include <spdlog/spdlog.h>

#include "cli/command.hpp"

namespace vqclip::cli {

Bundle load_bundle_for(const GlobalOptions& global, bool need_encoder) {
  LoadOptions options;
  options.device = resolve_device(global.device);
  options.verify_hashes = !global.no_verify;
  options.load_encoder = need_encoder;
  const auto dir = resolve_bundle_dir(global.models);
  spdlog::debug("loading bundle {} on {}", dir.string(), options.device.str());
  auto bundle = load_bundle(dir, options);
  if (global.threads <= 0 && !options.device.is_cuda()) {
    const int64_t parameters = parameter_count(bundle.image_encoder) + parameter_count(bundle.decoder);
    const int threads = configure_threads(auto_threads_for_model(parameters));
    spdlog::debug("{} image encoder + decoder parameters: {} intra-op thread(s)", parameters, threads);
  }
  return bundle;
}

}  // namespace vqclip::cli
