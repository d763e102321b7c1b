#pragma once
// Attention's batched matrix products on the CPU, one GEMM per matrix pair
// on the process's threads.
//
// libtorch 1.13 without MKL runs a float32 `bmm` as a loop over the batch on
// one thread, one `select` and one small GEMM each, after `matmul` has copied
// the permuted query, key and value views into contiguous tensors. CLIP's
// attention makes views x heads such products per layer (384 at 32 views of
// ViT-B/32), twice forward and four times backward: thousands of small GEMMs a
// step, a quarter of the tiny bundle's step. Here each pair is handed to the
// BLAS libtorch itself calls (sgemm_) with its strides as they are, split over
// the threads.
#include <torch/torch.h>

namespace vqclip {

// torch.matmul(a, b). Computed here for float32 CPU tensors of one rank >= 3
// with equal batch sizes (no broadcasting), outside autocast, when the BLAS is
// found; every other call is at::matmul's. Differentiable (the backward uses
// the same products; with create_graph it uses at::matmul, so it is twice
// differentiable). The result does not depend on the thread count.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

// Whether `batched_matmul(a, b)` computes the product itself.
bool computes_batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

// The TorchScript operator `vqclip::batched_matmul(Tensor a, Tensor b) -> Tensor`,
// which graph_rewrites.hpp puts in place of aten::matmul, is registered when
// the library loads.

}  // namespace vqclip
