#include "render/memory_meter.hpp"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace vqclip {
namespace {

std::atomic<int64_t> live{0};
std::atomic<int64_t> peak{0};

// The real allocations by address: some of libtorch (raw_allocate, used by
// convolutions) needs a block's context to be its data pointer.
struct CountedBlock {
  c10::DataPtr original;
  int64_t bytes;
};
std::mutex blocks_mutex;
std::unordered_map<void*, CountedBlock>& blocks() {
  static std::unordered_map<void*, CountedBlock> map;
  return map;
}

void free_counted(void* data) {
  CountedBlock block;
  {
    std::lock_guard<std::mutex> lock(blocks_mutex);
    auto found = blocks().find(data);
    if (found == blocks().end()) return;
    block = std::move(found->second);
    blocks().erase(found);
  }
  live.fetch_sub(block.bytes, std::memory_order_relaxed);
}  // the original frees itself here, through its own deleter

class CountingAllocator final : public c10::Allocator {
 public:
  explicit CountingAllocator(c10::Allocator* wrapped) : wrapped_(wrapped) {}

  c10::DataPtr allocate(size_t bytes) const override {
    c10::DataPtr original = wrapped_->allocate(bytes);
    void* data = original.get();
    const auto device = original.device();
    if (!data) return original;  // zero bytes
    {
      std::lock_guard<std::mutex> lock(blocks_mutex);
      blocks().emplace(data, CountedBlock{std::move(original), static_cast<int64_t>(bytes)});
    }
    const int64_t now = live.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed) + static_cast<int64_t>(bytes);
    for (int64_t seen = peak.load(std::memory_order_relaxed);
         now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed);) {
    }
    return {data, data, &free_counted, device};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &free_counted; }

 private:
  c10::Allocator* wrapped_;
};

std::mutex meter_mutex;  // one meter at a time
c10::Allocator* replaced = nullptr;

}  // namespace

TensorMemoryMeter::TensorMemoryMeter() {
  meter_mutex.lock();
  replaced = c10::GetCPUAllocator();
  static CountingAllocator counting(replaced);
  live = 0;
  peak = 0;
  c10::SetCPUAllocator(&counting);
}

TensorMemoryMeter::~TensorMemoryMeter() {
  c10::SetCPUAllocator(replaced);
  meter_mutex.unlock();
}

int64_t TensorMemoryMeter::live_bytes() const { return live.load(); }
int64_t TensorMemoryMeter::peak_bytes() const { return peak.load(); }
void TensorMemoryMeter::reset_peak() { peak = live.load(); }

}  // namespace vqclip
