#pragma once
// The bundled tiny model, loaded once per test process with every part a
// render may need (hashes unchecked: the bundle tests check those).
#include "test_env.hpp"
#include "vqclip/models.hpp"

namespace vqclip::test {

inline Models& tiny_models() {
  static Models models = [] {
    LoadOptions options;
    options.verify_hashes = false;
    options.parts = ModelParts::for_render(true);
    return load_models(source_dir() / "models" / "tiny-shapes", options);
  }();
  return models;
}

}  // namespace vqclip::test
