#pragma once
// Finds vqclip_spm.so and loads it into a link-map namespace of its own, so the
// protobuf that sentencepiece bundles never meets libtorch's (docs/architecture.md,
// "Platform facts").
#include "tokenizer/spm_module.hpp"

namespace vqclip {

// The module's entry points.
struct SpmModule {
  vqclip_spm_open_fn open = nullptr;
  vqclip_spm_encode_fn encode = nullptr;
  vqclip_spm_id_to_piece_fn id_to_piece = nullptr;
  vqclip_spm_vocab_size_fn vocab_size = nullptr;
  vqclip_spm_close_fn close = nullptr;
};

// Loads the module on first use (once per process; dlmopen namespaces are few)
// from $VQCLIP_SPM_MODULE, the library's or the executable's folder, or the
// install's lib/vqclip folder.
// Throws BundleError, the same one on every call, when it is missing or unusable.
const SpmModule& spm_module();

// For torch-free programs that compile the module's source in (the sentencepiece
// fuzzer, the sanitizer build's tokenizer tests): no protobuf to keep apart, and
// a sanitizer runtime cannot be loaded a second time into a dlmopen namespace.
// Call it before the first spm_module(); later calls change nothing.
void use_linked_spm_module(const SpmModule& module);

}  // namespace vqclip
