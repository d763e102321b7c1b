#pragma once
#include "vqclip/tokenizer.hpp"

namespace vqclip {

// Throws BundleError if the module or the model cannot be loaded.
std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const TokenizerSpec& spec);

}  // namespace vqclip
