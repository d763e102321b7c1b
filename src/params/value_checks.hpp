#pragma once
// Range checks the parameter groups share: each throws ParameterError naming
// the field with the value and what was expected.
#include <cmath>
#include <sstream>
#include <string>

#include "vqclip/errors.hpp"

namespace vqclip::checks {

// "0.5", "1e+11": a number as a message spells it.
inline std::string number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

inline void require_range(const char* field, int value, int low, int high) {
  if (value < low || value > high) {
    throw ParameterError(field, std::to_string(value) + ": expected " + std::to_string(low) + " to " +
                                    std::to_string(high));
  }
}

inline void require_non_negative(const char* field, double value) {
  if (!(value >= 0) || !std::isfinite(value)) {
    throw ParameterError(field, number(value) + ": expected a non-negative number");
  }
}

}  // namespace vqclip::checks
