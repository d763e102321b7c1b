#include "io/bounded_json.hpp"

namespace vqclip {
namespace {

// The parser itself is iterative; the callback drops what lies deeper than the bound.
nlohmann::json parse(const std::string& text, bool& too_deep, bool allow_exceptions) {
  too_deep = false;
  const nlohmann::json::parser_callback_t bound = [&too_deep](int depth, nlohmann::json::parse_event_t,
                                                              nlohmann::json&) {
    if (depth <= kMaxJsonDepth) return true;
    too_deep = true;
    return false;
  };
  return nlohmann::json::parse(text, bound, allow_exceptions);
}

}  // namespace

nlohmann::json parse_bounded_json(const std::string& text) {
  bool too_deep = false;
  auto json = parse(text, too_deep, /*allow_exceptions=*/true);
  if (too_deep) throw JsonTooDeep("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  return json;
}

nlohmann::json parse_bounded_json_or_discarded(const std::string& text) {
  bool too_deep = false;
  auto json = parse(text, too_deep, /*allow_exceptions=*/false);
  return too_deep ? nlohmann::json(nlohmann::json::value_t::discarded) : json;
}

}  // namespace vqclip
