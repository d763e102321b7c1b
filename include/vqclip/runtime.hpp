#pragma once
// Process-wide runtime settings, and the per-run random generator.
#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <cstdint>

namespace vqclip {

// Sets libtorch's intra-op threads (it starts with 1 on a 2-core machine);
// requested <= 0 means the cores. Returns the count in effect.
int configure_threads(int requested);

// Keeps freed memory in the process for reuse: libtorch frees and allocates the
// same large activation buffers every optimisation step, and glibc's defaults
// hand blocks above a dynamic mmap threshold back to the kernel, so each step
// paid for zeroed pages again (full-size step on 2 cores: 8.3-8.8 s -> 7.4-7.7 s).
// No block is mapped on its own, not even those above glibc's largest
// threshold (32 MiB; the full-size decoder's activations are 128 MiB): a
// 4-step full-size render faults 0.8 million pages instead of 1.4 million
// (0.97x the wall time, kernel time 3.2 s -> 2.1 s, peak +2%).
// Call it once at program start (the command line does).
void tune_memory_allocator();

// Hands the heap's free pages back to the system (malloc_trim): what a process
// that keeps freed memory should do when it goes idle (the server, when its
// queue empties).
void return_free_memory();

// A random generator of its own for one run on `device`, seeded with `seed`:
// two renders in one process draw independently of each other and of torch's
// global generator. On the CPU it draws exactly what torch::manual_seed(seed)
// would make the global generator draw.
at::Generator make_random_generator(uint64_t seed, const c10::Device& device);

}  // namespace vqclip
