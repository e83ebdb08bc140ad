// mvg/backend/cuda/cuda.hpp: the GPU policy. Writing mvg::cuda where a program says mvg::cpu moves
// its tensors, ops, model and optimiser to the GPU; nothing else changes.
//
// Everything is thrust over raw pointers, so one source builds two ways:
// - with nvcc (THRUST_DEVICE_SYSTEM = CUDA, the default): memory from cudaMalloc through a caching
//   pool, kernels are thrust::for_each over the ops' MVG_HD lambdas, matrix products are cuBLAS
//   strided-batched GEMMs, and thrust runs asynchronously on the default stream (par_nosync);
// - with g++ -fopenmp -DTHRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP (or _CPP): the same thrust
//   calls run on the host, the pool sits on aligned_alloc and gemm falls back to the CPU backend's
//   Eigen product. This is how CI, which has nvcc but no GPU, runs the whole op and model suite
//   against this backend's logic (docs/cuda.md).
// CPU-only programs never include this header, so they never see a CUDA header.
#pragma once
#include <thrust/detail/config.h>
#include <thrust/execution_policy.h>
#include <thrust/fill.h>
#include <thrust/copy.h>
#include <thrust/for_each.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/reduce.h>
#include <thrust/transform_reduce.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/block_pool.hpp"
#include "mvg/backend/elementwise_math.hpp"
#include "mvg/backend/precision.hpp"

#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
#if !defined(__CUDACC__)
#error "mvg::cuda on the GPU needs nvcc; for the host build compile with -DTHRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP"
#endif
#define MVG_CUDA_ON_DEVICE 1
#include <cuda_runtime.h>

#include "mvg/backend/cuda/cublas_gemm.hpp"
#include "mvg/backend/cuda/cuda_check.hpp"
#else
#define MVG_CUDA_ON_DEVICE 0
#include <omp.h>

#include "mvg/backend/cpu/cpu.hpp"
#endif

namespace mvg {

struct cuda {
#if MVG_CUDA_ON_DEVICE
  static constexpr const char* name = "cuda";
#else
  static constexpr const char* name = "cuda(host)";
#endif
  // True when memory is on a GPU (false in the host build that CI tests).
  static constexpr bool on_device = MVG_CUDA_ON_DEVICE;
  // The ops' GPU decomposition (one index per element) in both builds, so CI runs the device code path.
  static constexpr bool massively_parallel = true;
  // Device memory, which host code cannot dereference (backend/device_ptr.hpp), in both builds: the host
  // build's memory is host memory, but its types are the GPU's, so CI rejects what a GPU would crash on.
  template <class T>
  using pointer = device_ptr<T>;
  // A read-only operand whose T the call takes from its other arguments (a device_ptr<T> converts).
  template <class T>
  using cptr = device_ptr<const std::type_identity_t<T>>;

  // The execution policy every thrust call below uses.
  static auto policy() {
#if MVG_CUDA_ON_DEVICE
    return thrust::cuda::par_nosync;  // ordered on the default stream; no host sync per kernel
#else
    return thrust::device;  // the host system chosen by THRUST_DEVICE_SYSTEM
#endif
  }

  // The process-wide caching pool. Never destroyed: tensors in static storage may be freed after
  // any static pool would be, and the CUDA runtime may already be torn down at exit.
  static detail::block_pool& pool() {
    static auto* p = new detail::block_pool(&raw_allocate, &raw_free);
    return *p;
  }

  template <class T>
  static std::shared_ptr<T> allocate(int64_t n) {
    std::size_t cls = 0;
    void* p = pool().acquire(static_cast<std::size_t>(n) * sizeof(T), cls);
    return std::shared_ptr<T>(static_cast<T*>(p), [cls](T* q) { pool().release(q, cls); });
  }

  template <class T>
  static device_ptr<T> address(const std::shared_ptr<T>& storage) {
    return device_access::wrap(storage.get());
  }

  template <class T>
  static void fill(device_ptr<T> p, int64_t n, T v) {
    if (n > 0) thrust::fill_n(policy(), raw(p), n, v);
  }
  template <class T>
  static void copy(cptr<T> src, device_ptr<T> dst, int64_t n) {
    if (n > 0) thrust::copy_n(policy(), raw(src), n, raw(dst));
  }
  // Host → device and device → host: one call each for any size (the whole parameter buffer too).
  template <class T>
  static void upload(const T* host, device_ptr<T> dst, int64_t n) {
    copy_across(host, raw(dst), sizeof(T) * n, true);
  }
  template <class T>
  static void download(cptr<T> src, T* host, int64_t n) {
    copy_across(raw(src), host, sizeof(T) * n, false);
  }
  static void synchronize() {
#if MVG_CUDA_ON_DEVICE
    MVG_CUDA_CHECK(cudaDeviceSynchronize());
#endif
  }

  // The host build spreads thrust's OpenMP loops over threads; on the GPU this is a no-op.
  static void set_threads(int n) {
#if !MVG_CUDA_ON_DEVICE
    cpu::set_threads(n);
#endif
  }
  static int threads() {
#if MVG_CUDA_ON_DEVICE
    return 1;
#else
    return cpu::threads();
#endif
  }

  // f(i, raw(p)...) for i in [0, n): one GPU thread per index (f is an MVG_HD lambda of an op; the
  // device addresses reach it only as these arguments).
  template <class F, class... T>
  static void parallel_for(int64_t n, F f, device_ptr<T>... p) {
    launch(n, detail::bound_kernel<F, T*...>{f, detail::pack_pointers(raw(p)...)});
  }
  // Row-wise kernels (softmax, LayerNorm rows, conv bias sums): one thread per row, same as above.
  template <class F, class... T>
  static void parallel_for_heavy(int64_t n, F f, device_ptr<T>... p) {
    parallel_for(n, f, p...);
  }

  template <class T>
  static double sum(device_ptr<T> p, int64_t n) {
    if (n <= 0) return 0.0;
    // Accumulates in double, as the CPU backend does (thrust takes the init value's type).
    return thrust::reduce(policy(), raw(p), raw(p) + n, 0.0);
  }

  // The element-wise kernels (backend.hpp): one thread per element over the formulas of
  // backend/elementwise_math.hpp.
  template <class T>
  static void gelu_forward(cptr<T> x, device_ptr<T> y, int64_t n) {
    parallel_for(n, [] MVG_HD(int64_t i, const T* x, T* y) { y[i] = kernels::gelu_value(x[i]); }, x, y);
  }
  template <class T>
  static void gelu_backward(cptr<T> x, cptr<T> g, device_ptr<T> gx, int64_t n) {  // adds into gx
    parallel_for(
        n, [] MVG_HD(int64_t i, const T* x, const T* g, T* gx) { gx[i] += g[i] * kernels::gelu_grad(x[i]); }, x, g,
        gx);
  }
  template <class T>
  static double sum_squares(device_ptr<T> p, int64_t n) {
    if (n <= 0) return 0.0;
    // Squares and sums in double, as the CPU backend does; no temporary buffer.
    return thrust::transform_reduce(
        policy(), raw(p), raw(p) + n,
        [] MVG_HD(std::remove_const_t<T> x) -> double { return double(x) * double(x); }, 0.0, thrust::plus<double>());
  }
  template <class T>
  static void adamw_step(const adamw_args<T, device_ptr<T>, device_ptr<const T>>& a) {  // reads a.decay_mask
    adamw_args<T> r;  // the same step over the raw device addresses, for the per-element formula
    r.p = raw(a.p), r.g = raw(a.g), r.m = raw(a.m), r.v = raw(a.v), r.n = a.n;
    r.b1 = a.b1, r.b2 = a.b2, r.eps = a.eps, r.decay_factor = a.decay_factor, r.step_size = a.step_size;
    r.bc2_sqrt = a.bc2_sqrt;
    const T* dm = raw(a.decay_mask);
    launch(a.n, [=] MVG_HD(int64_t i) { kernels::adamw_update(r, i, dm[i] != T(0)); });
  }

  // The precision of float products (backend/precision.hpp): fp32, tf32 (tensor cores, 10-bit
  // mantissas) or bf16 (operands rounded to bf16, fp32 compute). Every mode runs on every GPU cuBLAS
  // supports; the host build computes tf32 as fp32 and bf16 through the same rounding kernel.
  static mvg::precision set_precision(mvg::precision p) {
    precision_state().store(p);
    return effective_precision();
  }
  static mvg::precision precision() { return precision_state().load(); }
  static mvg::precision effective_precision() {
    return !on_device && precision() == mvg::precision::tf32 ? mvg::precision::fp32 : precision();
  }
  static std::string precision_note(mvg::precision asked) {
    return !on_device && asked == mvg::precision::tf32 ? "precision tf32: the host build has no TF32; fp32" : "";
  }

  template <class T>
  static void gemm(const gemm_args& g, T alpha, cptr<T> a, cptr<T> b, T beta, device_ptr<T> c) {
    if constexpr (std::is_same_v<T, float>) {
      if (precision() == mvg::precision::bf16 && g.multiplies())
        return gemm_bf16(g, alpha, raw(a), raw(b), beta, raw(c));
    }
#if MVG_CUDA_ON_DEVICE
    detail::cublas_gemm(g, alpha, raw(a), raw(b), beta, raw(c), precision() == mvg::precision::tf32);
#else
    cpu::gemm_eigen(g, alpha, raw(a), raw(b), beta, raw(c));
#endif
  }

  // gemm's bf16 form (public only because nvcc's extended lambdas cannot live in a private member).
  // Each operand is rounded to bf16 over the span its matrices cover (gaps between rows included, so
  // leading dimensions and batch strides stay as they are), then multiplied with fp32 accumulation.
  static void gemm_bf16(const gemm_args& g, float alpha, const float* a, const float* b, float beta, float* c) {
    const int64_t na = detail::operand_a(g).span(), nb = detail::operand_b(g).span();
    auto ha = allocate<uint16_t>(na), hb = allocate<uint16_t>(nb);
    uint16_t *pa = ha.get(), *pb = hb.get();
    launch(na, [=] MVG_HD(int64_t i) { pa[i] = detail::bf16_bits(a[i]); });
    launch(nb, [=] MVG_HD(int64_t i) { pb[i] = detail::bf16_bits(b[i]); });
#if MVG_CUDA_ON_DEVICE
    detail::cublas_gemm_bf16(g, alpha, pa, pb, beta, c);
#else
    // The host has no bf16 product: the rounded operands go back to fp32 values for Eigen's.
    auto fa = allocate<float>(na), fb = allocate<float>(nb);
    float *xa = fa.get(), *xb = fb.get();
    launch(na, [=](int64_t i) { xa[i] = detail::bf16_value(pa[i]); });
    launch(nb, [=](int64_t i) { xb[i] = detail::bf16_value(pb[i]); });
    cpu::gemm_eigen(g, alpha, static_cast<const float*>(xa), static_cast<const float*>(xb), beta, c);
#endif
  }

private:
  // The one thrust launch: parallel_for's bound kernels, and the backend's own kernels over raw device
  // addresses it holds (gemm_bf16's scratch, adamw_step).
  template <class F>
  static void launch(int64_t n, F f) {
    if (n > 0) thrust::for_each_n(policy(), thrust::counting_iterator<int64_t>(0), n, f);
  }
  template <class T>
  static T* raw(device_ptr<T> p) {
    return device_access::raw(p);
  }

  static std::atomic<mvg::precision>& precision_state() {
    static std::atomic<mvg::precision> p{mvg::precision::fp32};
    return p;
  }

  static void copy_across(const void* src, void* dst, int64_t bytes, bool to_device) {
    if (bytes <= 0) return;
#if MVG_CUDA_ON_DEVICE
    MVG_CUDA_CHECK(cudaMemcpy(dst, src, bytes, to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost));
#else
    (void)to_device;  // host memory on both sides
    std::memcpy(dst, src, bytes);
#endif
  }
  static void* raw_allocate(std::size_t bytes) {
#if MVG_CUDA_ON_DEVICE
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, bytes);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the out-of-memory error; the pool frees its cache and retries
      return nullptr;
    }
    // Anything else (no device, a driver too old) is reported as CUDA names it.
    MVG_CHECK(status == cudaSuccess, "CUDA: cudaMalloc(", bytes, " bytes) failed: ", cudaGetErrorName(status), " (",
              cudaGetErrorString(status), ")");
    return p;
#else
    return std::aligned_alloc(64, bytes);  // size classes are multiples of 512 B
#endif
  }
  static void raw_free(void* p) {
#if MVG_CUDA_ON_DEVICE
    cudaFree(p);
#else
    std::free(p);
#endif
  }
};

static_assert(backend<cuda>);

}  // namespace mvg
