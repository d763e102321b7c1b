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
  return load_bundle(dir, options);
}

}  // namespace vqclip::cli
