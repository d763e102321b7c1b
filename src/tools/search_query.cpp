// The search query language: texts and image files added and subtracted with
// weights, as rclip offers ("a red circle" + pic.png - 0.5:"blue"). Fuzzed by
// tests/fuzz/fuzz_search_query.cpp.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "config/trim.hpp"
#include "vqclip/clip_tools.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

struct Token {
  enum class Kind { kPlus, kMinus, kOperand } kind;
  std::string text;     // the operand without quotes or weight
  double weight = 1.0;
  bool quoted = false;
  bool weighted = false;
};

// An operator is a lone + or - (space or the argument's end on both sides),
// so "red-orange" and "+1" stay words.
bool operator_at(const std::string& text, size_t at) {
  return (text[at] == '+' || text[at] == '-') && (at == 0 || std::isspace(static_cast<unsigned char>(text[at - 1]))) &&
         (at + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[at + 1])));
}

// The length of a "W:" weight at the operand's start (2: or 0.5: or .5:), 0
// when there is none; scanned by hand, as no regular expression runs on
// outside text of unbounded length.
size_t weight_prefix(const std::string& text, size_t at, double& weight) {
  size_t end = at;
  size_t digits = 0;
  bool point = false;
  for (; end < text.size(); ++end) {
    if (std::isdigit(static_cast<unsigned char>(text[end]))) {
      ++digits;
    } else if (text[end] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits == 0 || end >= text.size() || text[end] != ':') return 0;
  weight = std::strtod(text.substr(at, end - at).c_str(), nullptr);
  return end - at + 1;
}

void lex_argument(const std::string& argument, std::vector<Token>& tokens) {
  size_t at = 0;
  while (at < argument.size()) {
    if (std::isspace(static_cast<unsigned char>(argument[at]))) {
      ++at;
      continue;
    }
    if (operator_at(argument, at)) {
      tokens.push_back({argument[at] == '+' ? Token::Kind::kPlus : Token::Kind::kMinus, ""});
      ++at;
      continue;
    }
    Token operand{Token::Kind::kOperand, ""};
    if (const size_t length = weight_prefix(argument, at, operand.weight)) {
      operand.weighted = true;
      at += length;
    }
    if (at < argument.size() && argument[at] == '"') {
      const auto close = argument.find('"', at + 1);
      if (close == std::string::npos) throw UsageError("query: unclosed quote in '" + argument + "'");
      operand.text = argument.substr(at + 1, close - at - 1);
      operand.quoted = true;
      at = close + 1;
    } else {  // a bare operand runs up to the next operator
      size_t end = at;
      while (end < argument.size() && !operator_at(argument, end)) ++end;
      operand.text = trim_blanks(argument.substr(at, end - at));
      at = end;
    }
    if (operand.text.empty()) throw UsageError("query: an empty term in '" + argument + "'");
    tokens.push_back(operand);
  }
}

}  // namespace

std::string describe(const QueryTerm& term) {
  std::ostringstream text;
  text << term.weight << ':';
  if (term.image.empty()) {
    text << '"' << term.text << '"';
  } else {
    text << term.image.string();
  }
  return text.str();
}

SearchQuery parse_search_query(const std::vector<std::string>& arguments) {
  std::vector<Token> tokens;
  for (const auto& argument : arguments) {
    const size_t before = tokens.size();
    lex_argument(argument, tokens);
    // Words the shell split ("red" "circle") join into one text.
    if (before > 0 && tokens.size() > before && tokens[before - 1].kind == Token::Kind::kOperand &&
        tokens[before].kind == Token::Kind::kOperand) {
      auto& left = tokens[before - 1];
      const auto& right = tokens[before];
      if (left.quoted || right.quoted || right.weighted) {
        throw UsageError("query: '" + right.text + "' follows '" + left.text + "' without + or -");
      }
      left.text += " " + right.text;
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(before));
    }
  }
  SearchQuery query;
  double sign = 1.0;
  bool after_operator = false;
  for (const auto& token : tokens) {
    if (token.kind != Token::Kind::kOperand) {
      if (after_operator) throw UsageError("query: two operators in a row");
      sign = token.kind == Token::Kind::kMinus ? -1.0 : 1.0;
      after_operator = true;
      continue;
    }
    if (!query.empty() && !after_operator) throw UsageError("query: '" + token.text + "' needs + or - before it");
    if (!(token.weight > 0) || !std::isfinite(token.weight)) {
      throw UsageError("query: the weight of '" + token.text + "' must be positive (use - to subtract)");
    }
    QueryTerm term;
    term.weight = sign * token.weight;
    if (has_image_extension(token.text)) {
      term.image = token.text;
    } else {
      term.text = token.text;
    }
    query.push_back(term);
    sign = 1.0;
    after_operator = false;
  }
  if (query.empty()) throw UsageError("query: empty (give a text or an image file)");
  if (after_operator) throw UsageError("query: ends with an operator");
  return query;
}

torch::Tensor embed_query(ClipModel& clip, const SearchQuery& query) {
  auto sum = torch::zeros({clip.spec.embed_dim});
  for (const auto& term : query) {
    const auto embedding = term.image.empty() ? embed_texts_normalised(clip, {term.text})[0]
                                              : embed_image_files(clip, {term.image})[0];
    sum += term.weight * embedding;
  }
  const double norm = sum.norm().item<double>();
  if (!(norm > 1e-6)) throw UsageError("query: its terms cancel out (the combined embedding is zero)");
  return sum / norm;
}

}  // namespace vqclip
