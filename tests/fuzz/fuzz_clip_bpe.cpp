// Fuzzes the CLIP BPE tokenizer with the real vocabulary ($VQCLIP_BPE_VOCAB, or
// shared/ beside the repo): every id in the vocabulary, one piece per id, and
// packing that always gives bos ... eos within the context length.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "tokenizer/clip_bpe.hpp"
#include "vqclip/errors.hpp"

namespace {

std::unique_ptr<vqclip::ClipBpeTokenizer> tokenizer;

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // a truncation warning per input would be most of the time
  vqclip::TokenizerSpec spec;
  spec.type = "clip_bpe";
  const char* vocab = std::getenv("VQCLIP_BPE_VOCAB");
  spec.file = vocab && *vocab ? vocab : VQCLIP_DEFAULT_VOCAB;
  spec.bos_id = 49406;
  spec.eos_id = 49407;
  spec.pad_id = 0;
  spec.context_length = 77;
  try {
    tokenizer = std::make_unique<vqclip::ClipBpeTokenizer>(spec);
  } catch (const vqclip::Error& e) {
    std::cerr << e.what() << " (set VQCLIP_BPE_VOCAB to bpe_simple_vocab_16e6.txt.gz)\n";
    std::exit(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto packed = tokenizer->tokenize(text);
    require(packed.ids.size() == 77 && packed.ids.front() == 49406);
    const auto [ids, pieces] = tokenizer->encode_with_pieces(text);
    require(ids.size() == pieces.size());
    for (const auto id : ids) require(id >= 0 && id < 49408);
    const size_t kept = ids.size() - packed.dropped;
    require(kept <= 75 && packed.ids[kept + 1] == 49407);
  } catch (const vqclip::InputError&) {
    // invalid UTF-8: rejected with a message, as designed
  }
  return 0;
}
