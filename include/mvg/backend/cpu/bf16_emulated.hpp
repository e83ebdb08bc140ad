// mvg/backend/cpu/bf16_emulated.hpp: bf16 products without bf16 hardware: the operands rounded to
// bf16 values in fp32 storage, then the fp32 product. The same numbers as oneDNN's bf16 product
// (backend/cpu/onednn_gemm.hpp) up to summation order (and denormals, which AMX and AVX512-BF16
// flush), at fp32's speed or below: the way to check bf16
// numerics on any CPU (MVG_BF16_EMULATE=1, docs/precision.md). Also the packing both bf16 paths share:
// each stored operand, transposed or not, is copied densely once per call, O(mk + kn) against the
// product's O(mkn).
#pragma once
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/precision.hpp"

namespace mvg::detail {

// Copies the operand (backend.hpp's stored_operand) densely (ld = cols) into dst through `convert` (float → the packed type).
template <class U, class F>
void pack_operand(const stored_operand& s, const float* src, U* dst, F convert) {
  const int64_t rows = s.matrices() * s.rows, cols = s.cols;
  auto row = [&](int64_t r) {
    const int64_t mat = r / s.rows, in = r % s.rows;
    const float* from = src + mat * s.stride + in * s.ld;
    U* to = dst + r * cols;
    for (int64_t j = 0; j < cols; ++j) to[j] = convert(from[j]);
  };
#pragma omp parallel for schedule(static) if (rows * cols >= (int64_t(1) << 16) && !omp_in_parallel())
  for (int64_t r = 0; r < rows; ++r) row(r);
}

// The emulated bf16 product: `fp32_gemm(args, alpha, a, b, beta, c)` on operands rounded to bf16.
template <class Gemm>
void gemm_bf16_emulated(const gemm_args& g, float alpha, const float* a, const float* b, float beta, float* c,
                        Gemm fp32_gemm) {
  const stored_operand sa = operand_a(g), sb = operand_b(g);
  thread_local std::vector<float> pa, pb;
  pa.resize(static_cast<std::size_t>(sa.packed_size()));
  pb.resize(static_cast<std::size_t>(sb.packed_size()));
  const auto round = [](float x) { return round_to_bf16(x); };
  pack_operand(sa, a, pa.data(), round);
  pack_operand(sb, b, pb.data(), round);
  gemm_args p = g;
  p.lda = sa.cols;
  p.ldb = sb.cols;
  p.stride_a = sa.stride == 0 ? 0 : sa.rows * sa.cols;
  p.stride_b = sb.stride == 0 ? 0 : sb.rows * sb.cols;
  fp32_gemm(p, alpha, pa.data(), pb.data(), beta, c);
}

// Whether bf16 on a CPU without bf16 runs the emulated product (true) or fp32 (false, the default).
// Starts from MVG_BF16_EMULATE=1 in the environment; tests set it directly.
inline std::atomic<bool>& bf16_emulation() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("MVG_BF16_EMULATE");
    return v != nullptr && v[0] == '1';
  }()};
  return on;
}

}  // namespace mvg::detail
