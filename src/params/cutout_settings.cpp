#include "vqclip/cutout_settings.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "config/trim.hpp"
#include "vqclip/errors.hpp"

namespace vqclip {
namespace {

using AugmentFlag = bool AugmentSet::*;

// The augmentations' name table, in the order to_string prints them.
constexpr std::array<std::pair<const char*, AugmentFlag>, 6> kAugmentNames{{
    {"affine", &AugmentSet::affine},
    {"perspective", &AugmentSet::perspective},
    {"jitter", &AugmentSet::jitter},
    {"erasing", &AugmentSet::erasing},
    {"flip", &AugmentSet::flip},
    {"noise", &AugmentSet::noise},
}};

}  // namespace

bool AugmentSet::operator==(const AugmentSet& other) const {
  return std::all_of(kAugmentNames.begin(), kAugmentNames.end(),
                     [&](const auto& entry) { return this->*(entry.second) == other.*(entry.second); });
}

AugmentSet default_augments() {
  AugmentSet set;
  set.affine = set.perspective = set.jitter = set.erasing = set.noise = true;
  return set;
}

std::string augment_names() {
  std::string names;
  for (const auto& [name, flag] : kAugmentNames) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

AugmentSet parse_augments(const std::string& list) {
  AugmentSet set;
  if (trim_blanks(list) == "none") return set;
  std::stringstream stream(list);
  std::string raw;
  while (std::getline(stream, raw, ',')) {
    const auto item = trim_blanks(raw);
    const auto known = std::find_if(kAugmentNames.begin(), kAugmentNames.end(),
                                    [&item](const auto& entry) { return item == entry.first; });
    if (known == kAugmentNames.end()) {
      throw ParameterError("augments", "'" + list + "': unknown augmentation '" + item +
                                           "' (expected a comma list of " + augment_names() + ", or none alone)");
    }
    set.*(known->second) = true;
  }
  return set;
}

std::string to_string(const AugmentSet& set) {
  std::string list;
  for (const auto& [name, flag] : kAugmentNames) {
    if (set.*flag) list += (list.empty() ? "" : ",") + std::string(name);
  }
  return list.empty() ? "none" : list;
}

}  // namespace vqclip
