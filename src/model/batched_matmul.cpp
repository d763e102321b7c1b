#include "model/batched_matmul.hpp"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <dlfcn.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace vqclip {
namespace {

// The Fortran BLAS interface; column-major.
using SgemmFunction = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                               const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                               const float* beta, float* c, const int* ldc);

// The sgemm_ already in the process (libtorch links the system's BLAS), so
// products here run on the same library and threads as libtorch's own.
SgemmFunction process_sgemm() {
  static const auto function = reinterpret_cast<SgemmFunction>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return function;
}

// How column-major BLAS reads a row-major view of `rows` x `cols` with the
// given strides: 'N' when its rows are contiguous (BLAS sees the transpose),
// 'T' when its columns are; the leading dimension is the other stride.
struct BlasOperand {
  char transpose;
  int leading;
};

// BLAS takes sizes and leading dimensions as int.
bool fits(int64_t value) { return value <= std::numeric_limits<int>::max(); }

std::optional<BlasOperand> blas_operand(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if (col_stride == 1 || cols == 1) {
    const int64_t leading = rows == 1 ? std::max<int64_t>(cols, 1) : row_stride;
    if (leading >= std::max<int64_t>(cols, 1) && fits(leading)) return BlasOperand{'N', static_cast<int>(leading)};
  }
  if (row_stride == 1 || rows == 1) {
    const int64_t leading = cols == 1 ? std::max<int64_t>(rows, 1) : col_stride;
    if (leading >= std::max<int64_t>(rows, 1) && fits(leading)) return BlasOperand{'T', static_cast<int>(leading)};
  }
  return std::nullopt;
}

std::optional<BlasOperand> blas_operand(const torch::Tensor& t) {
  return blas_operand(t.size(-2), t.size(-1), t.stride(-2), t.stride(-1));
}

// Element offset of batch entry `index` (flat, row-major over the batch dims).
int64_t batch_offset(const torch::Tensor& t, int64_t index) {
  int64_t offset = 0;
  for (int64_t dim = t.dim() - 3; dim >= 0; --dim) {
    offset += (index % t.size(dim)) * t.stride(dim);
    index /= t.size(dim);
  }
  return offset;
}

// a [..., m, k] @ b [..., k, n] -> [..., m, n], contiguous, each pair on one thread.
torch::Tensor blas_product(const torch::Tensor& a, const torch::Tensor& b) {
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  auto sizes = a.sizes().vec();
  sizes.back() = n;
  auto result = torch::empty(sizes, a.options());
  const auto left = blas_operand(a), right = blas_operand(b);
  if (result.numel() == 0) return result;
  if (k == 0) return result.zero_();
  const int64_t batch = result.numel() / (m * n);
  const auto sgemm = process_sgemm();
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k), ldc = ni;
  const float one = 1.0F, zero = 0.0F;
  const float* a_data = a.data_ptr<float>();
  const float* b_data = b.data_ptr<float>();
  float* c_data = result.data_ptr<float>();
  // Row-major C = A B is column-major C^T = B^T A^T: B goes first.
  const int64_t grain = std::max<int64_t>(1, 65536 / (m * n * k));
  at::parallel_for(0, batch, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      sgemm(&right->transpose, &left->transpose, &ni, &mi, &ki, &one, b_data + batch_offset(b, i), &right->leading,
            a_data + batch_offset(a, i), &left->leading, &zero, c_data + i * m * n, &ldc);
    }
  });
  return result;
}

// The backward's products: the incoming gradient may have any strides.
torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b) {
  // create_graph: a product libtorch can differentiate again.
  if (at::GradMode::is_enabled()) return at::matmul(a, b);
  return blas_product(blas_operand(a) ? a : a.contiguous(), blas_operand(b) ? b : b.contiguous());
}

class BatchedMatmulFunction : public torch::autograd::Function<BatchedMatmulFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& a,
                               const torch::Tensor& b) {
    context->save_for_backward({a, b});
    return blas_product(a, b);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const auto saved = context->get_saved_variables();
    const auto& a = saved[0];
    const auto& b = saved[1];
    const auto& gradient = gradients[0];
    torch::Tensor a_gradient, b_gradient;
    if (context->needs_input_grad(0)) a_gradient = product(gradient, b.transpose(-2, -1));
    if (context->needs_input_grad(1)) b_gradient = product(a.transpose(-2, -1), gradient);
    return {a_gradient, b_gradient};
  }
};

}  // namespace

bool computes_batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.defined() || !b.defined() || !a.device().is_cpu() || !b.device().is_cpu()) return false;
  if (a.scalar_type() != torch::kFloat || b.scalar_type() != torch::kFloat || at::autocast::is_cpu_enabled()) {
    return false;
  }
  if (a.dim() < 3 || a.dim() != b.dim() || a.size(-1) != b.size(-2)) return false;
  for (int64_t dim = 0; dim < a.dim() - 2; ++dim) {
    if (a.size(dim) != b.size(dim)) return false;
  }
  if (!fits(a.size(-2)) || !fits(a.size(-1)) || !fits(b.size(-1))) return false;
  return process_sgemm() != nullptr && blas_operand(a) && blas_operand(b);
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (!computes_batched_matmul(a, b)) return at::matmul(a, b);
  return BatchedMatmulFunction::apply(a, b);
}

}  // namespace vqclip

TORCH_LIBRARY(vqclip, library) {
  library.def("batched_matmul(Tensor a, Tensor b) -> Tensor",
              [](const torch::Tensor& a, const torch::Tensor& b) { return vqclip::batched_matmul(a, b); });
}
