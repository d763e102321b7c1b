#pragma once
// Counts the bytes of CPU tensors while it is alive: libtorch's CPU allocator
// is wrapped for that time (docs/architecture.md, "Memory estimate").
#include <cstdint>

namespace vqclip {

class TensorMemoryMeter {
 public:
  TensorMemoryMeter();   // installs the counting allocator; one meter at a time
  ~TensorMemoryMeter();  // puts libtorch's own back (tensors made meanwhile still count down when freed)
  TensorMemoryMeter(const TensorMemoryMeter&) = delete;
  TensorMemoryMeter& operator=(const TensorMemoryMeter&) = delete;

  // Bytes allocated through the meter and not yet freed, and their highest value.
  int64_t live_bytes() const;
  int64_t peak_bytes() const;
  // Starts the peak again from what is live now.
  void reset_peak();
};

}  // namespace vqclip
