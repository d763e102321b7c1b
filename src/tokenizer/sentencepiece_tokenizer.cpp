#include "tokenizer/sentencepiece_tokenizer.hpp"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "tokenizer/spm_loader.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(TokenizerSpec spec) : Tokenizer(std::move(spec)), module_(spm_module()) {
    const auto& file = this->spec().file;
    char error[512] = {0};
    if (module_.open(file.c_str(), &handle_, error, sizeof error) != 0) {
      throw BundleError(file.string() + ": not a sentencepiece model (" + error + ")");
    }
    // Ids outside the vocabulary would only fail later, inside the text encoder.
    const int pieces = module_.vocab_size(handle_);
    for (const auto& [name, id] : {std::pair{"bos_id", this->spec().bos_id}, std::pair{"eos_id", this->spec().eos_id},
                                   std::pair{"pad_id", this->spec().pad_id}}) {
      if (id < 0 || id >= pieces) {
        module_.close(handle_);
        throw BundleError(file.string() + ": tokenizer " + name + " " + std::to_string(id) +
                          " is outside the sentencepiece vocabulary (0.." + std::to_string(pieces - 1) + ")");
      }
    }
  }
  ~SentencePieceTokenizer() override { module_.close(handle_); }
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int64_t> encode(std::string_view text) const override {
    require_valid_utf8(text, "text");
    const std::string prepared = prepare(text);
    std::vector<int32_t> ids(prepared.size() + 16);
    size_t count = 0;
    char error[512] = {0};
    // A second call only if the first buffer was too small (count tells the size).
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (module_.encode(handle_, prepared.data(), prepared.size(), ids.data(), ids.size(), &count, error,
                         sizeof error) != 0) {
        throw InputError(std::string("sentencepiece cannot encode the text (") + error + ")");
      }
      if (count <= ids.size()) break;
      ids.resize(count);
    }
    return std::vector<int64_t>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count));
  }

  std::vector<std::string> encode_pieces(std::string_view text) const override {
    return encode_with_pieces(text).second;
  }

  std::pair<std::vector<int64_t>, std::vector<std::string>> encode_with_pieces(std::string_view text) const override {
    std::pair<std::vector<int64_t>, std::vector<std::string>> both{encode(text), {}};
    for (const auto id : both.first) both.second.push_back(piece(id));
    return both;
  }

 private:
  // Only lowercasing here: sentencepiece's own normaliser (NFKC, whitespace)
  // does the rest, exactly as spm_encode does on the same text.
  std::string prepare(std::string_view text) const {
    if (!spec().lowercase) return std::string(text);
    auto unicode = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
    unicode.toLower(icu::Locale::getRoot());
    std::string out;
    unicode.toUTF8String(out);
    return out;
  }

  std::string piece(int64_t id) const {
    std::string piece(64, '\0');
    size_t length = module_.id_to_piece(handle_, static_cast<int32_t>(id), piece.data(), piece.size() + 1);
    if (length > piece.size()) {
      piece.resize(length);
      length = module_.id_to_piece(handle_, static_cast<int32_t>(id), piece.data(), piece.size() + 1);
    }
    piece.resize(length);
    return piece;
  }

  const SpmModule& module_;
  void* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Tokenizer> make_sentencepiece_tokenizer(const TokenizerSpec& spec) {
  return std::make_unique<SentencePieceTokenizer>(spec);
}

}  // namespace vqclip
