#pragma once
// Process-wide runtime settings.
#include <torch/torch.h>

#include <string>

namespace vqclip {

// Sets libtorch's intra-op threads (it starts with 1 on a 2-core machine);
// requested <= 0 means the number of cores. Returns the count in effect.
int configure_threads(int requested);

// "auto" -> cuda if available else cpu; "cpu"; "cuda"; "cuda:N".
// Throws UsageError naming --device for an unknown name or absent CUDA.
torch::Device resolve_device(const std::string& name);

}  // namespace vqclip
