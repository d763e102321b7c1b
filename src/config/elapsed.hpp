#pragma once
// Seconds elapsed on the steady clock since a start: the load and render
// timings the logs and records report.
#include <chrono>

namespace vqclip {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace vqclip
