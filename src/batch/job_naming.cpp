#include <string_view>

#include "batch/batch.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {

std::string slugify(const std::string& prompt) {
  constexpr size_t kMaxLength = 60;
  std::string slug;
  bool pending_dash = false;
  for (const unsigned char ch : prompt) {
    if (std::isalnum(ch) && ch < 0x80) {
      if (pending_dash && !slug.empty()) slug += '-';
      pending_dash = false;
      slug += static_cast<char>(std::tolower(ch));
    } else {
      pending_dash = true;
    }
    if (slug.size() >= kMaxLength) break;
  }
  slug.resize(std::min(slug.size(), kMaxLength));
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "prompt" : slug;
}

namespace {

constexpr size_t kMaxWidth = 64;        // {index:0N}: more zeros help no file system
constexpr size_t kMaxNameBytes = 255;   // NAME_MAX of the usual file systems

[[noreturn]] void bad_template(const std::string& name_template, const std::string& why) {
  throw UsageError("--name " + name_template + ": " + why);
}

// The value of the field `text` ("index", "index:04", ...) for a job.
std::string field_value(const std::string& name_template, std::string_view text, const Job& job, uint64_t seed,
                        bool& has_index) {
  const auto colon = text.find(':');
  const auto field = text.substr(0, colon);
  std::string value;
  if (field == "index") {
    value = std::to_string(job.index);
    has_index = true;
  } else if (field == "line") {
    value = std::to_string(job.line);
  } else if (field == "seed") {
    value = std::to_string(seed);
  } else if (field == "slug") {
    value = slugify(job.prompt);
  } else {
    bad_template(name_template, "unknown field {" + std::string(text) +
                                    "} (fields: {index}, {index:04}, {line}, {slug}, {seed})");
  }
  if (colon == std::string_view::npos) return value;
  auto width_text = text.substr(colon + 1);
  if (!width_text.empty() && width_text.front() == '0') width_text.remove_prefix(1);
  if (width_text.empty() || width_text.size() > 2 ||
      width_text.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(width_text)) > kMaxWidth) {
    bad_template(name_template, "{" + std::string(text) + "}: a width is 1 to " + std::to_string(kMaxWidth) +
                                    " digits, as in {index:04}");
  }
  const size_t width = std::stoul(std::string(width_text));
  if (value.size() < width) value.insert(0, width - value.size(), '0');
  return value;
}

}  // namespace

std::string job_file_name(const std::string& name_template, const Job& job, uint64_t seed) {
  std::string result;
  bool has_index = false;
  for (size_t at = 0; at < name_template.size();) {
    const auto open = name_template.find('{', at);
    result += name_template.substr(at, open == std::string::npos ? std::string::npos : open - at);
    if (open == std::string::npos) break;
    const auto close = name_template.find('}', open);
    if (close == std::string::npos) bad_template(name_template, "a '{' without its '}'");
    result += field_value(name_template, std::string_view(name_template).substr(open + 1, close - open - 1), job,
                          seed, has_index);
    at = close + 1;
  }
  if (!has_index) bad_template(name_template, "must contain {index} so that names cannot collide");
  if (result.find('/') != std::string::npos || result.find('}') != std::string::npos || result == "." ||
      result == "..") {
    bad_template(name_template, "a name may hold no '/' or '}' and may not be . or ..");
  }
  if (result.size() > kMaxNameBytes) {
    bad_template(name_template, "the name of job " + std::to_string(job.index) + " would be " +
                                    std::to_string(result.size()) + " bytes, at most " + std::to_string(kMaxNameBytes));
  }
  return result;
}

uint64_t job_seed(uint64_t base_seed, const Job& job) {
  if (job.seed_override) return *job.seed_override;
  // splitmix64 of (base, index): well spread, independent of order and shards.
  uint64_t x = base_seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(job.index) + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x & ((uint64_t{1} << 53) - 1);  // exact in JSON doubles
}

}  // namespace vqclip
