#pragma once
// The exact CLIP byte-level BPE (docs/architecture.md, "The CLIP tokenizer").
#include <array>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "vqclip/tokenizer.hpp"

namespace vqclip {

class ClipBpeTokenizer : public Tokenizer {
 public:
  // Reads the gzip merges file; throws BundleError naming it.
  explicit ClipBpeTokenizer(TokenizerSpec spec);

  std::vector<int64_t> encode(std::string_view text) const override;
  std::vector<std::string> encode_pieces(std::string_view text) const override;
  std::pair<std::vector<int64_t>, std::vector<std::string>> encode_with_pieces(std::string_view text) const override;

  size_t merge_count() const { return merge_rank_.size(); }

 private:
  // Pieces of one pre-tokenized word (its bytes mapped to printable symbols).
  const std::vector<std::string>& bpe(const std::string& word) const;
  void encode_text(std::string_view text, std::vector<int64_t>* ids, std::vector<std::string>* pieces) const;

  std::unordered_map<std::string, int> merge_rank_;   // "a b" -> rank
  std::unordered_map<std::string, int64_t> vocab_;    // symbol string -> id
  std::array<std::string, 256> byte_symbol_;          // byte -> printable code point (UTF-8)
  mutable std::unordered_map<std::string, std::vector<std::string>> cache_;
  mutable std::mutex cache_mutex_;
};

// The reference's pre-tokenizer: special tokens, contractions, letter runs,
// single digits, runs of other non-space characters. Input: cleaned UTF-8.
std::vector<std::string> clip_pre_tokenize(const std::string& text);

}  // namespace vqclip
