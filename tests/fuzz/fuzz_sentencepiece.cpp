// Fuzzes SentencePiece encoding as a bundle's tokenizer does it (lowercasing
// with ICU, sentencepiece's own NFKC normaliser, packing to the context length)
// with a model trained by tests/fuzz/run.sh ($VQCLIP_SPM_MODEL). The module's
// source is compiled in: a dlmopen'd copy would bring a second sanitizer runtime.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "fuzz_support.hpp"
#include "tokenizer/spm_module/spm_linked.hpp"
#include "vqclip/errors.hpp"
#include "vqclip/tokenizer.hpp"

namespace {

constexpr int kContext = 16;
std::unique_ptr<vqclip::Tokenizer> tokenizer;
int64_t vocabulary = 0;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // a truncation warning per input would be most of the time
  vqclip::use_linked_spm_module(vqclip::linked_spm_entry_points());
  const char* model = std::getenv("VQCLIP_SPM_MODEL");
  if (!model || !*model) {
    std::cerr << "set VQCLIP_SPM_MODEL to a sentencepiece model with pad 0, unk 1, bos 2, eos 3 (run.sh trains one)\n";
    std::exit(1);
  }
  vqclip::TokenizerSpec spec;
  spec.type = "sentencepiece";
  spec.file = model;
  spec.bos_id = 2;
  spec.eos_id = 3;
  spec.pad_id = 0;
  spec.context_length = kContext;
  spec.lowercase = true;
  try {
    tokenizer = vqclip::make_tokenizer(spec);
    void* handle = nullptr;
    char error[256] = {0};
    if (vqclip_spm_open(model, &handle, error, sizeof error) != 0) throw vqclip::BundleError(error);
    vocabulary = vqclip_spm_vocab_size(handle);
    vqclip_spm_close(handle);
  } catch (const vqclip::Error& e) {
    std::cerr << e.what() << "\n";
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vqclip::fuzz::require;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto [ids, pieces] = tokenizer->encode_with_pieces(text);
    require(ids.size() == pieces.size());
    for (const auto id : ids) require(id >= 0 && id < vocabulary);
    const auto packed = tokenizer->tokenize(text);
    require(packed.ids.size() == kContext && packed.ids.front() == 2);
    require(packed.dropped <= ids.size());
    const size_t kept = ids.size() - packed.dropped;
    require(kept <= kContext - 2 && packed.ids[kept + 1] == 3);
    for (size_t i = kept + 2; i < kContext; ++i) require(packed.ids[i] == 0);
  } catch (const vqclip::InputError&) {
    // invalid UTF-8: refused with a message, as designed
  }
  return 0;
}
