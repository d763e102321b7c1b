#include <regex>

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

std::string job_file_name(const std::string& name_template, const Job& job, uint64_t seed) {
  static const std::regex kField(R"(\{(index|line|slug|seed)(?::0?(\d+))?\})");
  if (name_template.find("{index") == std::string::npos) {
    throw UsageError("--name " + name_template + ": must contain {index} so that names cannot collide");
  }
  std::string result;
  auto begin = std::sregex_iterator(name_template.begin(), name_template.end(), kField);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    result += name_template.substr(last, match.position() - last);
    const std::string field = match[1];
    std::string value = field == "index"  ? std::to_string(job.index)
                        : field == "line" ? std::to_string(job.line)
                        : field == "seed" ? std::to_string(seed)
                                          : slugify(job.prompt);
    if (match[2].matched) {
      const size_t width = std::stoul(match[2]);
      if (value.size() < width) value.insert(0, width - value.size(), '0');
    }
    result += value;
    last = match.position() + match.length();
  }
  result += name_template.substr(last);
  if (result.find('/') != std::string::npos || result.find('{') != std::string::npos) {
    throw UsageError("--name " + name_template + ": unknown field or a '/' in the name (fields: {index}, {index:04}, "
                     "{line}, {slug}, {seed})");
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
