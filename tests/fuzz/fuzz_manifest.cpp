// Fuzzes vqclip.json: a manifest whose fields are all in range, or a
// BundleError (the files a fuzzed manifest names rarely exist, so the seeds
// name files the scratch bundle holds).
#include "fuzz_support.hpp"
#include "vqclip/bundle.hpp"
#include "vqclip/errors.hpp"

using vqclip::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool files_made = [] {
    for (const char* name : {"clip_text.pt", "clip_image.pt", "tokenizer.model", "vqgan_decoder.pt", "vqgan_encoder.pt"}) {
      std::ofstream(vqclip::fuzz::scratch() / name) << "x";
    }
    return true;
  }();
  require(files_made);
  vqclip::fuzz::write_input("vqclip.json", data, size);
  try {
    const auto manifest = vqclip::read_manifest(vqclip::fuzz::scratch());
    require(manifest.default_width > 0 && manifest.default_height > 0);
    require(manifest.clip.embed_dim > 0 && manifest.clip.context_length >= 2);
    require(!manifest.vqgan || (manifest.vqgan->downsample_factor > 0 && manifest.vqgan->n_embed > 0));
    for (const auto& [name, hash] : manifest.file_hashes) require(hash.size() == 64);
  } catch (const vqclip::BundleError&) {
  }
  return 0;
}
