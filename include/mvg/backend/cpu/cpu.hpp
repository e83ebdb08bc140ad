// mvg/backend/cpu/cpu.hpp: the CPU policy. oneDNN does the float matrix products, fp32 or bf16
// (backend/cpu/onednn_gemm.hpp), Eigen the double ones and the float ones where mvg has no oneDNN
// (its packed, blocked GEMM); OpenMP spreads element-wise loops and batches over the cores.
#pragma once
#include <omp.h>

#include <Eigen/Core>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/block_pool.hpp"
#include "mvg/backend/cpu/adamw.hpp"
#include "mvg/backend/cpu/gelu.hpp"
#include "mvg/backend/cpu/onednn_conv.hpp"
#include "mvg/backend/cpu/onednn_gemm.hpp"
#include "mvg/backend/precision.hpp"
#include "mvg/core/error.hpp"

#if defined(__has_feature)
#define MVG_HAS_ASAN_FEATURE __has_feature(address_sanitizer)  // clang's spelling
#else
#define MVG_HAS_ASAN_FEATURE 0
#endif

namespace mvg {
inline namespace MVG_CPU_ABI {  // backend/cpu/onednn_gemm.hpp says why

struct cpu {
  static constexpr const char* name = "cpu";
  static constexpr int64_t grain = 1 << 14;  // below this many items a loop stays on one thread
  // Host memory: a plain pointer.
  template <class T>
  using pointer = T*;

  // Blocks from 1 MiB up go through the caching pool; smaller ones straight to malloc, whose bins
  // already reuse them. Without the pool the decoder's 32 MiB activations and their gradients were
  // fresh mmap pages every step: ~150k page faults, a tenth of a tiny training step (docs/benchmarks.md).
  // Under AddressSanitizer nothing is pooled, so a use after free is caught, not hidden in the cache.
#if defined(__SANITIZE_ADDRESS__) || MVG_HAS_ASAN_FEATURE
  static constexpr std::size_t pooled_from = SIZE_MAX;
#else
  static constexpr std::size_t pooled_from = std::size_t{1} << 20;
#endif

  // The process-wide pool. Never destroyed: tensors in static storage may be freed after any static
  // pool would be.
  static detail::block_pool& pool() {
    static auto* p = new detail::block_pool(&raw_allocate, [](void* q) { std::free(q); }, "host");
    return *p;
  }
  // Gives every cached, unused block back to the system (like torch.cuda.empty_cache()).
  static void release_cached() { pool().release_cached(); }

  template <class T>
  static std::shared_ptr<T> allocate(int64_t n) {
    const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
    if (bytes >= pooled_from) {
      std::size_t cls = 0;
      void* p = pool().acquire(bytes, cls);
      return std::shared_ptr<T>(static_cast<T*>(p), [cls](T* q) { pool().release(q, cls); });
    }
    void* p = raw_allocate(bytes);
    if (!p) throw std::bad_alloc();
    return std::shared_ptr<T>(static_cast<T*>(p), [](T* q) { std::free(q); });
  }

  template <class T>
  static T* address(const std::shared_ptr<T>& storage) {
    return storage.get();
  }

  template <class T>
  static void fill(T* p, int64_t n, T v) {
    parallel_for(n, [=](int64_t i) { p[i] = v; });
  }
  template <class T>
  static void copy(const T* src, T* dst, int64_t n) {
    if (n) std::memcpy(dst, src, sizeof(T) * n);
  }
  template <class T>
  static void upload(const T* host, T* dst, int64_t n) { copy(host, dst, n); }
  template <class T>
  static void download(const T* src, T* host, int64_t n) { copy(src, host, n); }
  static void synchronize() {}

  static void set_threads(int n) {
    omp_set_num_threads(n);
    Eigen::setNbThreads(n);
  }
  static int threads() { return omp_get_max_threads(); }

  // f(i, p...) for i in [0, n): host pointers are already the kernel's arguments.
  template <class F, class... P>
  static void parallel_for(int64_t n, F&& f, P... p) {
    if (n < grain || omp_in_parallel()) {
      for (int64_t i = 0; i < n; ++i) f(i, p...);
      return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) f(i, p...);
  }
  // For loops whose every iteration is heavy (rows of a LayerNorm, one image of a convolution).
  template <class F, class... P>
  static void parallel_for_heavy(int64_t n, F&& f, P... p) {
    if (n < 2 || omp_in_parallel()) {
      for (int64_t i = 0; i < n; ++i) f(i, p...);
      return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) f(i, p...);
  }

  template <class T>
  static double sum(const T* p, int64_t n) {
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static) if (n >= grain)
    for (int64_t i = 0; i < n; ++i) total += p[i];
    return total;
  }

  // The element-wise kernels (backend.hpp) in their CPU forms: blocks of 4096 values through Eigen
  // arrays, spread over the cores (backend/cpu/gelu.hpp, backend/cpu/adamw.hpp).
  template <class T>
  static void gelu_forward(const T* x, T* y, int64_t n) {
    detail::gelu_cpu<cpu>(x, static_cast<const T*>(nullptr), y, n);
  }
  template <class T>
  static void gelu_backward(const T* x, const T* g, T* gx, int64_t n) {  // adds into gx
    detail::gelu_cpu<cpu>(x, g, gx, n);
  }
  template <class T>
  static double sum_squares(const T* p, int64_t n) {
    return detail::sum_squares_cpu<cpu>(p, n);
  }
  template <class T>
  static void adamw_step(const adamw_args<T>& a) {  // reads a.decay_runs
    detail::adamw_step_cpu<cpu>(a);
  }

  // The precision of float products (backend/precision.hpp). Returns the one they will really use:
  // bf16 where oneDNN reaches AMX or AVX512-BF16 (or MVG_BF16_EMULATE=1 asks for the emulation),
  // else fp32, as is tf32 (the CPU has none). Double products are always double.
  static mvg::precision set_precision(mvg::precision p) {
    precision_state().store(p);
    return effective_precision();
  }
  static mvg::precision precision() { return precision_state().load(); }
  static mvg::precision effective_precision() {
    return precision() == mvg::precision::bf16 && (detail::onednn_has_bf16() || detail::bf16_emulation().load())
               ? mvg::precision::bf16
               : mvg::precision::fp32;
  }
  // A line for a program to print once at start when the products cannot run as asked.
  static std::string precision_note(mvg::precision asked) {
    if (asked == mvg::precision::tf32) return "precision tf32: the CPU has no TF32; products run in fp32";
    if (asked != mvg::precision::bf16) return "";
    if (detail::onednn_has_bf16()) return "";
    if (detail::bf16_emulation().load())
      return "precision bf16: emulated (MVG_BF16_EMULATE=1): bf16 numbers at fp32 speed or below";
    return "precision bf16: this CPU has neither AMX nor AVX512-BF16 (or mvg was built without oneDNN); products "
           "run in fp32";
  }

  template <class T>
  static void gemm(const gemm_args& g, T alpha, const T* a, const T* b, T beta, T* c) {
    if constexpr (std::is_same_v<T, float>) {
      if (g.multiplies() && effective_precision() == mvg::precision::bf16) {
        if (detail::onednn_has_bf16() && detail::gemm_bf16_onednn(g, alpha, a, b, beta, c)) return;
        return detail::gemm_bf16_emulated(g, alpha, a, b, beta, c, &gemm_fp32);
      }
      gemm_fp32(g, alpha, a, b, beta, c);
    } else {
      gemm_eigen(g, alpha, a, b, beta, c);
    }
  }

  // Convolutions of their own (backend.hpp's conv_args): bf16 through oneDNN's convolution primitives
  // where the products run bf16 on bf16 hardware (backend/cpu/onednn_conv.hpp); false otherwise, and
  // ops/conv2d.hpp takes im2col + gemm (fp32, double, the emulation: their numbers unchanged).
  // y = conv(x, w); gx += its input gradient; gw += its weight gradient.
  template <class T>
  static bool conv2d_forward(const conv_args& a, const T* x, const T* w, T* y) {
    if constexpr (std::is_same_v<T, float>)
      return direct_conv() && detail::conv2d_forward_onednn(a, x, w, y);
    return false;
  }
  template <class T>
  static bool conv2d_backward_data(const conv_args& a, const T* gy, const T* w, T* gx) {
    if constexpr (std::is_same_v<T, float>)
      return direct_conv() && detail::conv2d_backward_data_onednn(a, gy, w, gx);
    return false;
  }
  template <class T>
  static bool conv2d_backward_weights(const conv_args& a, const T* x, const T* gy, T* gw) {
    if constexpr (std::is_same_v<T, float>)
      return direct_conv() && detail::conv2d_backward_weights_onednn(a, x, gy, gw);
    return false;
  }
  static bool direct_conv() { return effective_precision() == mvg::precision::bf16 && detail::onednn_has_bf16(); }

  // The fp32 product, whatever the precision setting: oneDNN's sgemm, or Eigen's where mvg has no
  // oneDNN or MVG_CPU_GEMM=eigen asks for it.
  static void gemm_fp32(const gemm_args& g, float alpha, const float* a, const float* b, float beta, float* c) {
    if (g.multiplies() && detail::onednn_fp32().load() && detail::gemm_fp32_onednn(g, alpha, a, b, beta, c))
      return;
    gemm_eigen(g, alpha, a, b, beta, c);
  }

  // Eigen's product (float or double), whatever the settings.
  template <class T>
  static void gemm_eigen(const gemm_args& g, T alpha, const T* a, const T* b, T beta, T* c) {
    auto one = [&](const T* pa, const T* pb, T* pc) {
      using mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      using cmap = Eigen::Map<const mat, 0, Eigen::OuterStride<>>;
      Eigen::Map<mat, 0, Eigen::OuterStride<>> C(pc, g.m, g.n, Eigen::OuterStride<>(g.ldc));
      cmap A(pa, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, Eigen::OuterStride<>(g.lda));
      cmap B(pb, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, Eigen::OuterStride<>(g.ldb));
      if (beta == T(0))
        C.setZero();
      else if (beta != T(1))
        C *= beta;
      if (g.k == 0) return;
      // Transposes are Eigen views: the GEMM kernel packs them, nothing is copied here.
      if (!g.trans_a && !g.trans_b)
        C.noalias() += alpha * A * B;
      else if (g.trans_a && !g.trans_b)
        C.noalias() += alpha * A.transpose() * B;
      else if (!g.trans_a && g.trans_b)
        C.noalias() += alpha * A * B.transpose();
      else
        C.noalias() += alpha * A.transpose() * B.transpose();
    };
    if (g.batch == 1) {
      one(a, b, c);  // Eigen threads a single large product itself
      return;
    }
    // Many small products: one per thread, each single-threaded inside.
#pragma omp parallel for schedule(dynamic) if (g.batch > 1 && !omp_in_parallel())
    for (int64_t i = 0; i < g.batch; ++i) one(a + i * g.stride_a, b + i * g.stride_b, c + i * g.stride_c);
  }

private:
  static std::atomic<mvg::precision>& precision_state() {
    static std::atomic<mvg::precision> p{mvg::precision::fp32};
    return p;
  }
  // 64-byte alignment: full AVX-512 lines for Eigen and the vectorised loops. nullptr when out of memory.
  static void* raw_allocate(std::size_t bytes) {
    return std::aligned_alloc(64, ((bytes ? bytes : 1) + 63) / 64 * 64);
  }
};

}  // namespace MVG_CPU_ABI

static_assert(backend<cpu>);

}  // namespace mvg
