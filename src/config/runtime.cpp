#include "vqclip/runtime.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <malloc.h>
#include <torch/torch.h>

#include <limits>
#include <mutex>
#include <thread>

namespace vqclip {

int configure_threads(int requested) {
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  torch::set_num_threads(threads);
  return threads;
}

void tune_memory_allocator() {
  // No block is mapped on its own, whatever its size: glibc's largest mmap
  // threshold is 32 MiB, and a full-size decoder's activations (128 MiB each)
  // were mapped and unmapped every step above it. Everything from the heap.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

void return_free_memory() { malloc_trim(0); }

at::Generator make_random_generator(uint64_t seed, const c10::Device& device) {
  // A CPU generator made with the seed is in the state manual_seed leaves the
  // default one in. (Not a clone: libtorch 1.13's GeneratorImpl::clone() takes
  // one reference too many, so each clone leaks; LeakSanitizer found it.)
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  // A clone of the device's default generator has its type (CUDA) without
  // naming CUDA here, so a CPU-only build compiles this too. It leaks a few
  // hundred bytes per render on libtorch 1.13 (see above).
  at::Generator original = at::globalContext().defaultGenerator(device);  // a handle, shared
  at::Generator generator;
  {
    std::lock_guard<std::mutex> lock(original.mutex());
    generator = original.clone();
  }
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(seed);
  return generator;
}

}  // namespace vqclip
