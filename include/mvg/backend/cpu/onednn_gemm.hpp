// mvg/backend/cpu/onednn_gemm.hpp: the CPU's float products through oneDNN (Debian libdnnl-dev 2.x,
// docs/dependencies.md), where mvg was built with it (MVG_HAVE_ONEDNN):
// - fp32: oneDNN's sgemm (JIT kernels for the machine's ISA): 1.3-1.8x Eigen's GEMM on the presets'
//   shapes on 2 cores of an AMD EPYC (docs/benchmarks.md). MVG_CPU_GEMM=eigen keeps Eigen's.
// - bf16: the matmul primitive with bf16 operands and fp32 accumulation, which reaches AMX and
//   AVX512-BF16. Only where oneDNN dispatches to one of them: elsewhere it would emulate bf16, slower
//   than fp32.
#pragma once
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/cpu/bf16_emulated.hpp"
#include "mvg/backend/precision.hpp"
#include "mvg/core/error.hpp"

// nvcc never sees oneDNN (its headers crash nvcc 13's front end): the CPU policy inside a CUDA
// translation unit (the cross-backend tests' reference side) multiplies with Eigen.
#if defined(MVG_HAVE_ONEDNN) && !defined(__CUDACC__)
#define MVG_CPU_ONEDNN 1
#else
#define MVG_CPU_ONEDNN 0
#endif

// What follows, and mvg::cpu, differ with MVG_CPU_ONEDNN: an inline namespace named after it keeps a
// program that mixes nvcc and g++ translation units from silently merging the two (a link error, not
// undefined behaviour). Code names mvg::cpu either way.
#if MVG_CPU_ONEDNN
#define MVG_CPU_ABI cpu_onednn
#else
#define MVG_CPU_ABI cpu_eigen
#endif

#if MVG_CPU_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#if DNNL_VERSION_MAJOR != 2
#error "mvg's oneDNN path is written for oneDNN 2.x (Debian's libdnnl-dev 2.6); configure with -DMVG_ONEDNN=OFF"
#endif
#endif

namespace mvg::detail {
inline namespace MVG_CPU_ABI {

// Whether fp32 float products go through oneDNN (true where mvg has it, unless MVG_CPU_GEMM=eigen) or
// Eigen. Tests and benchmarks set it directly to compare the two.
inline std::atomic<bool>& onednn_fp32() {
#if MVG_CPU_ONEDNN
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("MVG_CPU_GEMM");
    return !(v != nullptr && std::strcmp(v, "eigen") == 0);
  }()};
#else
  static std::atomic<bool> on{false};
#endif
  return on;
}

#if MVG_CPU_ONEDNN

// C = alpha·op(A)·op(B) + beta·C in fp32 through oneDNN's sgemm (row-major, like mvg's gemm_args). A
// batch runs one product per thread, each single-threaded inside (oneDNN sees it is in a parallel
// region), as the Eigen path does. Returns false, having computed nothing, for leading dimensions
// oneDNN refuses (narrower than the rows they step over; Eigen takes those).
inline bool gemm_fp32_onednn(const gemm_args& g, float alpha, const float* a, const float* b, float beta, float* c) {
  if (g.lda < (g.trans_a ? g.m : g.k) || g.ldb < (g.trans_b ? g.k : g.n) || g.ldc < g.n) return false;
  const char ta = g.trans_a ? 'T' : 'N', tb = g.trans_b ? 'T' : 'N';
  auto one = [&](int64_t i) {
    return int(dnnl::sgemm(ta, tb, g.m, g.n, g.k, alpha, a + i * g.stride_a, g.lda, b + i * g.stride_b, g.ldb, beta,
                           c + i * g.stride_c, g.ldc));
  };
  int failed = 0;  // a status, checked after the loop: nothing may throw out of an OpenMP region
  if (g.batch == 1) {
    failed = one(0);
  } else {
#pragma omp parallel for schedule(dynamic) reduction(max : failed) if (!omp_in_parallel())
    for (int64_t i = 0; i < g.batch; ++i) failed = std::max(failed, one(i));
  }
  MVG_CHECK(failed == 0, "oneDNN sgemm failed (status ", failed, ") for m=", g.m, " n=", g.n, " k=", g.k,
            " batch=", g.batch);
  return true;
}

// Whether oneDNN multiplies bf16 in hardware here: AVX512-BF16 (Cooper Lake, Zen 4) or AMX (Sapphire
// Rapids and later). oneDNN's ISA values are bit sets, each containing the ones below it. Read once;
// DNNL_MAX_CPU_ISA=AVX2 in the environment turns it off (the fallback, testable on any machine).
inline bool onednn_has_bf16() {
  static const bool has = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto need = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & need) == need;
  }();
  return has;
}

inline dnnl::engine& onednn_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

inline std::atomic<int64_t>& bf16_fallbacks();

// C = alpha·op(A)·op(B) + beta·C with bf16 operands and fp32 accumulation, one primitive for the whole
// batch (oneDNN threads it over the cores). Primitives come from oneDNN's own cache, keyed by shape.
// Returns false, having computed nothing, when oneDNN has no bf16 kernel for this case (none, or only
// its slow reference one); the caller then runs the emulated product: bf16 numbers at fp32's cost.
inline bool gemm_bf16_onednn(const gemm_args& g, float alpha, const float* a, const float* b, float beta, float* c) {
  using dnnl::memory;
  // oneDNN broadcasts a shared weights matrix (B) over the batch; a shared src (A, a convolution's
  // weight) is packed once per product all the same, so that no kernel's broadcast support matters.
  stored_operand sa = operand_a(g);
  sa.replicate = true;
  const stored_operand sb = operand_b(g);
  // op(A) [batch, m, k] over A packed as stored: a transposed operand is described by its strides.
  const memory::dims a_dims{sa.matrices(), g.m, g.k}, b_dims{sb.matrices(), g.k, g.n}, c_dims{g.batch, g.m, g.n};
  const memory::dims a_strides = g.trans_a ? memory::dims{g.m * g.k, 1, g.m} : memory::dims{g.m * g.k, g.k, 1};
  const memory::dims b_strides = g.trans_b ? memory::dims{g.k * g.n, 1, g.k} : memory::dims{g.k * g.n, g.n, 1};
  const memory::dims c_strides{g.batch > 1 ? g.stride_c : g.m * g.ldc, g.ldc, 1};
  const memory::desc a_md(a_dims, memory::data_type::bf16, a_strides), b_md(b_dims, memory::data_type::bf16, b_strides),
      c_md(c_dims, memory::data_type::f32, c_strides);
  dnnl::primitive_attr attr;
  if (alpha != 1.f) attr.set_output_scales(0, {alpha});
  if (beta != 0.f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  dnnl::engine& eng = onednn_engine();
  dnnl::matmul::primitive_desc pd;
  std::string why;
  try {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), attr, eng);
    if (std::strncmp(pd.impl_info_str(), "ref", 3) == 0) why = std::string("only ") + pd.impl_info_str();
  } catch (const dnnl::error& e) {
    why = e.what();
  }
  if (!why.empty()) {
    ++bf16_fallbacks();
    static std::atomic<bool> said{false};  // once per process: the fallback is slower, not wrong
    if (!said.exchange(true))
      std::fprintf(stderr, "mvg: oneDNN has no bf16 kernel for m=%ld n=%ld k=%ld batch=%ld (%s); such products "
                   "run emulated\n", long(g.m), long(g.n), long(g.k), long(g.batch), why.c_str());
    return false;
  }
  thread_local std::vector<uint16_t> pa, pb;
  pa.resize(static_cast<std::size_t>(sa.packed_size()));
  pb.resize(static_cast<std::size_t>(sb.packed_size()));
  // A lambda, not the function's address: the conversion inlines and vectorises (through a pointer it
  // was a call per element, 38% of a bf16 training step).
  const auto to_bf16 = [](float x) { return bf16_bits(x); };
  pack_operand(sa, a, pa.data(), to_bf16);
  pack_operand(sb, b, pb.data(), to_bf16);
  memory am(a_md, eng, pa.data()), bm(b_md, eng, pb.data()), cm(c_md, eng, c);
  dnnl::stream s(eng);
  dnnl::matmul(pd).execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  s.wait();
  return true;
}

#else

inline bool gemm_fp32_onednn(const gemm_args&, float, const float*, const float*, float, float*) { return false; }
inline bool onednn_has_bf16() { return false; }
inline bool gemm_bf16_onednn(const gemm_args&, float, const float*, const float*, float, float*) { return false; }

#endif

// How many bf16 products oneDNN could not run as bf16 kernels (each ran emulated instead); the tests
// expect none where the CPU has bf16.
inline std::atomic<int64_t>& bf16_fallbacks() {
  static std::atomic<int64_t> n{0};
  return n;
}

}  // namespace MVG_CPU_ABI
}  // namespace mvg::detail
