#pragma once
// Rewrites of a loaded module's TorchScript graphs that make it cheaper to run
// where libtorch has no fuser to do it (Debian's is built without LLVM).
#include <torch/script.h>

namespace vqclip {

// x * sigmoid(x) (taming-transformers' swish, the VQGAN's activation) becomes
// aten::silu(x): one pass over the tensor forward and one backward instead of
// two and four; x * sigmoid(c x) (CLIP's QuickGELU, c = 1.702) becomes
// silu(c x) / c. Equal up to float rounding. Returns the rewrites made.
int fuse_swish(torch::jit::Module& module);

}  // namespace vqclip
