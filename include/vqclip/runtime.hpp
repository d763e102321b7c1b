#pragma once
// Process-wide runtime settings.
#include <torch/torch.h>

#include <string>

namespace vqclip {

// Sets libtorch's intra-op threads (it starts with 1 on a 2-core machine);
// requested <= 0 means the number of cores. Returns the count in effect.
int configure_threads(int requested);

// Keeps freed memory in the process for reuse: libtorch frees and allocates the
// same large activation buffers every optimisation step, and glibc's defaults
// hand blocks above a dynamic mmap threshold back to the kernel, so each step
// paid for zeroed pages again (full-size step on 2 cores: 8.3-8.8 s -> 7.4-7.7 s).
void tune_memory_allocator();

// The intra-op thread count for a model of `parameters` (image encoder plus
// decoder) when --threads was left at 0: the cores, except for small models,
// whose ops are too short to gain from splitting (tiny bundle on 2 cores:
// 0.100 s/step with 1 thread or 2), so one thread leaves the other cores free
// for parallel jobs.
int auto_threads_for_model(int64_t parameters);

// "auto" -> cuda if available else cpu; "cpu"; "cuda"; "cuda:N".
// Throws UsageError naming --device for an unknown name or absent CUDA.
torch::Device resolve_device(const std::string& name);

}  // namespace vqclip
