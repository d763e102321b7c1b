#pragma once
// Text -> token ids for the CLIP text encoder. Two kinds: the exact CLIP BPE
// (type "clip_bpe") and SentencePiece (type "sentencepiece", through the
// dlmopen-isolated module, see spm_module.hpp).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vqclip {

struct TokenizerSpec {
  std::string type;             // "clip_bpe" | "sentencepiece"
  std::filesystem::path file;   // absolute path (the bundle dir is already applied)
  int64_t bos_id = 0;
  int64_t eos_id = 0;
  int64_t pad_id = 0;
  bool lowercase = true;
  int context_length = 77;
};

// One encoded text, ready for the text encoder.
struct TokenizedText {
  std::vector<int64_t> ids;     // bos + text ids + eos, padded with pad_id to context_length
  std::vector<std::string> pieces;  // printable piece of each kept text id (for `tokenize -v`)
  size_t dropped = 0;           // text ids cut off to fit the context length
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Ids of the text alone (no bos/eos, no padding). Throws InputError on invalid UTF-8,
  // naming the byte offset.
  virtual std::vector<int64_t> encode(std::string_view text) const = 0;
  // Printable pieces matching encode() one to one.
  virtual std::vector<std::string> encode_pieces(std::string_view text) const = 0;
  // Both in one pass (what tokenize() uses).
  virtual std::pair<std::vector<int64_t>, std::vector<std::string>> encode_with_pieces(std::string_view text) const = 0;
  // bos + ids + eos, padded with pad_id to the context length. A text too long
  // keeps its first context_length - 2 ids and still ends with eos (the reference
  // with truncate=True); spdlog warns once, saying how many ids were dropped.
  TokenizedText tokenize(std::string_view text) const;

  const TokenizerSpec& spec() const { return spec_; }

 protected:
  explicit Tokenizer(TokenizerSpec spec) : spec_(std::move(spec)) {}

 private:
  TokenizerSpec spec_;
};

// Throws BundleError for an unknown type or an unreadable/invalid file.
std::unique_ptr<Tokenizer> make_tokenizer(const TokenizerSpec& spec);

// Throws InputError("... invalid UTF-8 at byte N") if text is not valid UTF-8.
void require_valid_utf8(std::string_view text, std::string_view what);

}  // namespace vqclip
