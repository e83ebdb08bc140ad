// mvg/backend/cuda/cublas_gemm.hpp: mvg's row-major gemm (backend.hpp) on cuBLAS, which is
// column-major. A row-major C[m,n] is, read column-major, Cᵀ[n,m] = op(B)ᵀ·op(A)ᵀ, so the call swaps
// the operands and the m/n extents and keeps each operand's own transpose flag: no copies.
// Included only by the nvcc build of the CUDA backend.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>
#include <type_traits>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/cuda/cuda_check.hpp"

namespace mvg::detail {

inline cublasHandle_t cublas_handle() {
  // One handle per host thread (cuBLAS handles are not thread-safe), on the legacy default stream
  // that the thrust kernels also use, so products and kernels stay ordered without extra syncs.
  thread_local struct holder {
    cublasHandle_t h = nullptr;
    holder() { MVG_CUBLAS_CHECK(cublasCreate(&h)); }
    ~holder() { cublasDestroy(h); }
  } handle;
  return handle.h;
}

// cuBLAS takes int extents and leading dimensions.
inline void check_int_extents(const gemm_args& g) {
  const int64_t limit = INT_MAX;
  MVG_CHECK(g.m <= limit && g.n <= limit && g.k <= limit && g.lda <= limit && g.ldb <= limit && g.ldc <= limit &&
                g.batch <= limit,
            "cuda gemm: extents m=", g.m, " n=", g.n, " k=", g.k, " batch=", g.batch, " exceed cuBLAS's int range");
}

// tf32: float products on tensor cores with 10-bit mantissas (opt-in, backend/precision.hpp).
template <class T>
void cublas_gemm(const gemm_args& g, T alpha, const T* a, const T* b, T beta, T* c, bool tf32 = false) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "cuda gemm: float or double only");
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  check_int_extents(g);
  const cublasOperation_t op_a = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  // k == 0 would give cuBLAS a leading dimension of 0; with no k the product is C = beta·C.
  const int k = static_cast<int>(g.k == 0 ? 1 : g.k);
  const T alpha_eff = g.k == 0 ? T(0) : alpha;
  const int lda = static_cast<int>(g.lda > 0 ? g.lda : 1), ldb = static_cast<int>(g.ldb > 0 ? g.ldb : 1);
  const auto m = static_cast<int>(g.m), n = static_cast<int>(g.n), ldc = static_cast<int>(g.ldc);
  cublasHandle_t h = cublas_handle();
  if constexpr (std::is_same_v<T, float>) {
    if (tf32) {
      MVG_CUBLAS_CHECK(cublasGemmStridedBatchedEx(h, op_b, op_a, n, m, k, &alpha_eff, b, CUDA_R_32F, ldb, g.stride_b, a,
                                                  CUDA_R_32F, lda, g.stride_a, &beta, c, CUDA_R_32F, ldc, g.stride_c,
                                                  static_cast<int>(g.batch), CUBLAS_COMPUTE_32F_FAST_TF32,
                                                  CUBLAS_GEMM_DEFAULT));
      return;
    }
    MVG_CUBLAS_CHECK(cublasSgemmStridedBatched(h, op_b, op_a, n, m, k, &alpha_eff, b, ldb, g.stride_b, a, lda,
                                               g.stride_a, &beta, c, ldc, g.stride_c, static_cast<int>(g.batch)));
  } else
    MVG_CUBLAS_CHECK(cublasDgemmStridedBatched(h, op_b, op_a, n, m, k, &alpha_eff, b, ldb, g.stride_b, a, lda,
                                               g.stride_a, &beta, c, ldc, g.stride_c, static_cast<int>(g.batch)));
}

// bf16 operands (raw bf16 bits, as gemm_args describes them) and fp32 accumulation into an fp32 C:
// tensor cores on every GPU from Ampere on.
inline void cublas_gemm_bf16(const gemm_args& g, float alpha, const uint16_t* a, const uint16_t* b, float beta,
                             float* c) {
  check_int_extents(g);
  const cublasOperation_t op_a = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const auto m = static_cast<int>(g.m), n = static_cast<int>(g.n), k = static_cast<int>(g.k);
  MVG_CUBLAS_CHECK(cublasGemmStridedBatchedEx(cublas_handle(), op_b, op_a, n, m, k, &alpha, b, CUDA_R_16BF,
                                              static_cast<int>(g.ldb), g.stride_b, a, CUDA_R_16BF,
                                              static_cast<int>(g.lda), g.stride_a, &beta, c, CUDA_R_32F,
                                              static_cast<int>(g.ldc), g.stride_c, static_cast<int>(g.batch),
                                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace mvg::detail
