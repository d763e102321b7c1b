#include "tokenizer/clip_bpe.hpp"

#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <zlib.h>

#include <climits>
#include <sstream>
#include <string_view>

#include "tokenizer/text_clean.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

constexpr size_t kReferenceMergeCount = 48894;  // lines 1..48894 after the header
const std::string kEndOfWord = "</w>";
const std::string kStartOfText = "<|startoftext|>";
const std::string kEndOfText = "<|endoftext|>";

std::string read_gzip(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw BundleError(path.string() + ": cannot open the BPE vocabulary");
  std::string text;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  const bool failed = n < 0;
  gzclose(file);
  if (failed) throw BundleError(path.string() + ": corrupt gzip data in the BPE vocabulary");
  return text;
}

std::string utf8(UChar32 c) {
  std::string out;
  icu::UnicodeString(c).toUTF8String(out);
  return out;
}

// GPT-2/CLIP byte -> printable code point, in the order that also gives ids 0..255.
std::vector<std::pair<int, UChar32>> byte_table() {
  std::vector<std::pair<int, UChar32>> table;
  std::vector<bool> printable(256, false);
  for (int b = 33; b <= 126; ++b) printable[b] = true;
  for (int b = 161; b <= 172; ++b) printable[b] = true;
  for (int b = 174; b <= 255; ++b) printable[b] = true;
  for (int b = 0; b < 256; ++b) {
    if (printable[b]) table.emplace_back(b, b);
  }
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    if (!printable[b]) table.emplace_back(b, 256 + extra++);
  }
  return table;
}

bool is_letter(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0; }
bool is_number(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_N_MASK) != 0; }

// The reference splits with IGNORECASE, under which a character that is no
// letter but case-folds to one (U+0345 folds to iota) matches neither the letter
// class nor its negation: findall skips it.
bool matched_by_no_class(UChar32 c) {
  return !is_letter(c) && !is_number(c) && is_letter(u_foldCase(c, U_FOLD_CASE_DEFAULT));
}

// Length (UTF-16 units) of `literal` at `at` under IGNORECASE's simple case
// folding, or 0 where it does not match. `literal` is ASCII.
int32_t match_ignoring_case(const icu::UnicodeString& text, int32_t at, std::string_view literal) {
  int32_t i = at;
  for (const char expected : literal) {
    if (i >= text.length()) return 0;
    const UChar32 c = text.char32At(i);
    if (u_foldCase(c, U_FOLD_CASE_DEFAULT) != u_foldCase(static_cast<UChar32>(expected), U_FOLD_CASE_DEFAULT)) return 0;
    i += U16_LENGTH(c);
  }
  return i - at;
}

}  // namespace

std::vector<std::string> clip_pre_tokenize(const std::string& text) {
  static const char* kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  const auto unicode = icu::UnicodeString::fromUTF8(text);
  std::vector<std::string> words;
  const auto piece = [&unicode](int32_t begin, int32_t end) {
    std::string out;
    unicode.tempSubStringBetween(begin, end).toUTF8String(out);
    return out;
  };
  int32_t i = 0;
  const int32_t n = unicode.length();
  while (i < n) {
    const UChar32 c = unicode.char32At(i);
    if (is_unicode_space(c) || matched_by_no_class(c)) {
      i += U16_LENGTH(c);
      continue;
    }
    // Special tokens and contractions, case-insensitively as in the reference;
    // only the exact special token later becomes its id, any other spelling is BPE'd.
    int32_t length = 0;
    for (const auto& literal : {kStartOfText, kEndOfText}) {
      if (length == 0) length = match_ignoring_case(unicode, i, literal);
    }
    if (c == '\'') {
      for (const char* contraction : kContractions) {
        if (length == 0) length = match_ignoring_case(unicode, i, contraction);
      }
    }
    if (length > 0) {
      words.push_back(piece(i, i + length));
      i += length;
      continue;
    }
    int32_t end = i + U16_LENGTH(c);
    if (is_letter(c)) {
      while (end < n && is_letter(unicode.char32At(end))) end += U16_LENGTH(unicode.char32At(end));
    } else if (!is_number(c)) {
      while (end < n) {
        const UChar32 next = unicode.char32At(end);
        if (is_unicode_space(next) || is_letter(next) || is_number(next) || matched_by_no_class(next)) break;
        end += U16_LENGTH(next);
      }
    }
    words.push_back(piece(i, end));
    i = end;
  }
  return words;
}

ClipBpeTokenizer::ClipBpeTokenizer(TokenizerSpec spec) : Tokenizer(std::move(spec)) {
  const auto& path = this->spec().file;
  std::istringstream lines(read_gzip(path));
  std::string line;
  std::getline(lines, line);  // "#version: ..." header
  std::vector<std::string> merges;
  for (size_t number = 2; merges.size() < kReferenceMergeCount && std::getline(lines, line); ++number) {
    if (line.empty()) continue;
    const auto space = line.find(' ');
    if (space == 0 || space == std::string::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos) {
      throw BundleError(path.string() + ": line " + std::to_string(number) + " is not a BPE merge 'a b'");
    }
    merges.push_back(line);
  }
  if (merges.empty()) throw BundleError(path.string() + ": no BPE merges found");

  int64_t id = 0;
  const auto table = byte_table();
  for (const auto& [byte, symbol] : table) {
    byte_symbol_[byte] = utf8(symbol);
    vocab_[utf8(symbol)] = id++;
  }
  for (const auto& [byte, symbol] : table) vocab_[utf8(symbol) + kEndOfWord] = id++;
  // Assigned, not emplaced: in a file that repeats a merge the later entry wins,
  // as in the reference's dicts.
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& merge = merges[rank];
    merge_rank_[merge] = static_cast<int>(rank);
    const auto space = merge.find(' ');
    vocab_[merge.substr(0, space) + merge.substr(space + 1)] = id++;
  }
}

const std::vector<std::string>& ClipBpeTokenizer::bpe(const std::string& word) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (const auto it = cache_.find(word); it != cache_.end()) return it->second;
  }
  // Symbols: one per byte, the last carrying the end-of-word mark.
  std::vector<std::string> symbols;
  for (const unsigned char byte : word) symbols.push_back(byte_symbol_[byte]);
  symbols.back() += kEndOfWord;

  while (symbols.size() > 1) {
    int best_rank = INT_MAX;
    size_t best = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merge_rank_.find(symbols[i] + " " + symbols[i + 1]);
      if (it != merge_rank_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == INT_MAX) break;
    // Merge every occurrence of the best pair, left to right.
    const std::string first = symbols[best], second = symbols[best + 1];
    std::vector<std::string> merged;
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(symbols[i++]);
      }
    }
    symbols = std::move(merged);
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  return cache_.emplace(word, std::move(symbols)).first->second;
}

void ClipBpeTokenizer::encode_text(std::string_view text, std::vector<int64_t>* ids,
                                   std::vector<std::string>* pieces) const {
  require_valid_utf8(text, "text");
  for (const auto& word : clip_pre_tokenize(clean_text(text, spec().lowercase))) {
    if (word == kStartOfText || word == kEndOfText) {
      if (ids) ids->push_back(word == kStartOfText ? spec().bos_id : spec().eos_id);
      if (pieces) pieces->push_back(word);
      continue;
    }
    for (const auto& symbol : bpe(word)) {
      const auto it = vocab_.find(symbol);
      if (it == vocab_.end()) throw InternalError("BPE symbol missing from the vocabulary: " + symbol);
      if (ids) ids->push_back(it->second);
      if (pieces) pieces->push_back(symbol);
    }
  }
}

std::vector<int64_t> ClipBpeTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  encode_text(text, &ids, nullptr);
  return ids;
}

std::vector<std::string> ClipBpeTokenizer::encode_pieces(std::string_view text) const {
  std::vector<std::string> pieces;
  encode_text(text, nullptr, &pieces);
  return pieces;
}

std::pair<std::vector<int64_t>, std::vector<std::string>> ClipBpeTokenizer::encode_with_pieces(
    std::string_view text) const {
  std::pair<std::vector<int64_t>, std::vector<std::string>> both;
  encode_text(text, &both.first, &both.second);
  return both;
}

}  // namespace vqclip
