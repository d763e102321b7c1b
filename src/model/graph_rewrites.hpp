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

// aten::matmul becomes vqclip::batched_matmul (batched_matmul.hpp): attention's
// products of views x heads small matrices run as one GEMM each on the
// process's threads instead of libtorch's one-thread loop; every other product
// is aten::matmul's as before. Returns the rewrites made.
int batch_matrix_products(torch::jit::Module& module);

}  // namespace vqclip
