// mvg/backend/backend.hpp: what a backend policy must provide. Model and op code is written against
// this concept only; switching a model between CPU and GPU is changing this one template argument.
//
// Conventions every backend follows:
// - Memory is a flat array of T reached through a shared_ptr<T> (device memory for a GPU backend), and
//   addressed through B::pointer<T>: T* on the CPU, device_ptr<T> on a GPU (backend/device_ptr.hpp), which
//   host code cannot dereference. Every member below takes and gives B::pointer.
// - parallel_for(n, f, p...) calls f(i, raw(p)...) for i in [0, n) in any order: the kernel gets the raw
//   addresses of the backend pointers p as arguments, never from host code. f must be MVG_HD (host+device).
// - gemm is row-major: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, with leading dimensions,
//   so strided sub-matrices and transposes need no copies. gemm_batched repeats it over `batch`
//   matrices at fixed element strides.
// - Element-wise kernels whose fast form differs by device (GELU's erf, AdamW's fused step,
//   clip_grad_norm's sum of squares) are policy members: each policy computes the formulas of
//   backend/elementwise_math.hpp in its own form (Eigen blocks on the CPU, one thread per element on a GPU).
#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "mvg/backend/device_ptr.hpp"

#if defined(__CUDACC__)
#define MVG_HD __host__ __device__
#else
#define MVG_HD
#endif

namespace mvg {

struct gemm_args {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t batch = 1, stride_a = 0, stride_b = 0, stride_c = 0;
  // Whether there is any product to add (else C = beta·C, or nothing at all).
  bool multiplies() const { return m > 0 && n > 0 && k > 0 && batch > 0; }
};

// A 2-D convolution's geometry: input [n, cin, h, w], weight [cout, cin, kh, kw], output [n, cout, oh, ow],
// all NCHW. A backend may run convolutions itself (Backend::conv2d_forward / _backward_data /
// _backward_weights, each returning false where it does not); ops/conv2d.hpp lowers them to im2col and
// gemm otherwise.
struct conv_args {
  int64_t n = 0, cin = 0, h = 0, w = 0, cout = 0, kh = 0, kw = 0, stride = 1, pad = 0, oh = 0, ow = 0;
};

namespace detail {
// One gemm operand as stored: `rows` x `cols` at leading dimension `ld`, `batch` copies `stride` apart
// (stride 0: one matrix shared by every product of the batch). `replicate`: a consumer that cannot
// broadcast a shared matrix gets it once per product.
struct stored_operand {
  int64_t rows, cols, ld, batch, stride;
  bool replicate = false;
  int64_t matrices() const { return stride == 0 && !replicate ? 1 : batch; }
  int64_t packed_size() const { return matrices() * rows * cols; }
  // Elements from the first to one past the last one the operand's matrices touch (gaps included).
  int64_t span() const { return (stride == 0 ? 0 : (batch - 1) * stride) + (rows - 1) * ld + cols; }
};
inline stored_operand operand_a(const gemm_args& g) {
  return {g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, g.batch, g.stride_a};
}
inline stored_operand operand_b(const gemm_args& g) {
  return {g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, g.batch, g.stride_b};
}
}  // namespace detail

// A run of parameters that share one weight-decay flag: it ends where the next begins (the first
// begins at 0). An optimiser lists the maximal runs of its buffer in order.
struct decay_run {
  int64_t end;
  bool decay;
};

// One AdamW step over n values (optim/adamw.hpp computes the scalars; backend/elementwise_math.hpp has
// the per-element update). Which weights decay is given twice, for the two forms: decay_runs (read by a
// CPU form, which decides per run) and decay_mask (n values in the backend's memory, 1 where decay
// applies, read by a per-element form; may be null for a backend that is not massively_parallel).
// P / CP: the backend's pointers to T / const T (raw for the CPU form, device_ptr for a GPU's).
template <class T, class P = T*, class CP = const T*>
struct adamw_args {
  P p = nullptr;
  CP g = nullptr;
  P m = nullptr, v = nullptr;
  int64_t n = 0;
  T b1{}, b2{}, eps{}, decay_factor{}, step_size{}, bc2_sqrt{};
  const decay_run* decay_runs = nullptr;
  std::size_t n_decay_runs = 0;
  CP decay_mask = nullptr;
};

namespace detail {
// Stand in for an op's kernel lambdas in the concept below.
struct index_kernel {
  MVG_HD void operator()(int64_t) const {}
};
struct pointer_kernel {
  MVG_HD void operator()(int64_t, float*, const float*) const {}
};

// The raw pointers a kernel is called with, packed for a backend that launches it elsewhere:
// apply(f, i) calls f(i, the pointers in order).
template <class... P>
struct pointer_pack;
template <>
struct pointer_pack<> {
  template <class F, class... A>
  MVG_HD void apply(const F& f, int64_t i, A... a) const {
    f(i, a...);
  }
};
template <class H, class... R>
struct pointer_pack<H, R...> {
  H head;
  pointer_pack<R...> rest;
  template <class F, class... A>
  MVG_HD void apply(const F& f, int64_t i, A... a) const {
    rest.apply(f, i, a..., head);
  }
};
inline pointer_pack<> pack_pointers() { return {}; }
template <class H, class... R>
pointer_pack<H, R...> pack_pointers(H h, R... r) {
  return {h, pack_pointers(r...)};
}
// f(i) → f(i, pointers...): what a backend launches for parallel_for(n, f, pointers...).
template <class F, class... P>
struct bound_kernel {
  F f;
  pointer_pack<P...> pointers;
  MVG_HD void operator()(int64_t i) const { pointers.apply(f, i); }
};
}  // namespace detail

// Kernels pick their decomposition by this trait: a backend with thousands of threads (mvg::cuda)
// wants one index per output element; a CPU backend wants one heavy iteration per row, so the
// inner loop is contiguous and free of index divisions. Both decompositions compute the same values.
template <class B>
constexpr bool massively_parallel() {
  if constexpr (requires { B::massively_parallel; })
    return B::massively_parallel;
  else
    return false;
}

// The CPU forms' loop: [0, n) in blocks of `block` values, f(index, lo, len) once per block, the
// blocks spread over the cores (the last block may be shorter).
template <class B, class F>
void parallel_blocks(int64_t n, int64_t block, F f) {
  B::parallel_for_heavy((n + block - 1) / block, [=](int64_t b) {
    const int64_t lo = b * block;
    f(b, lo, n - lo < block ? n - lo : block);
  });
}

template <class B>
concept backend = requires(int64_t n, typename B::template pointer<float> p,
                           typename B::template pointer<const float> cp, float* host, const float* chost, float v,
                           gemm_args g,
                           adamw_args<float, typename B::template pointer<float>, typename B::template pointer<const float>> a,
                           int threads) {
  { B::name } -> std::convertible_to<const char*>;
  { B::template allocate<float>(n) } -> std::same_as<std::shared_ptr<float>>;
  { B::template address<float>(std::shared_ptr<float>{}) } -> std::same_as<typename B::template pointer<float>>;
  B::fill(p, n, v);
  B::copy(cp, p, n);
  B::upload(chost, p, n);
  B::download(cp, host, n);
  B::gemm(g, v, cp, cp, v, p);
  { B::sum(cp, n) } -> std::convertible_to<double>;
  B::synchronize();
  B::parallel_for(n, detail::index_kernel{});        // cheap iterations (element-wise)
  B::parallel_for(n, detail::pointer_kernel{}, p, cp);  // f(i, raw pointers)
  B::parallel_for_heavy(n, detail::index_kernel{});  // heavy iterations (a row, an image)
  B::parallel_for_heavy(n, detail::pointer_kernel{}, p, cp);
  B::gelu_forward(cp, p, n);                         // y = GELU(x)
  B::gelu_backward(cp, cp, p, n);                    // gx += g · GELU'(x)
  { B::sum_squares(cp, n) } -> std::convertible_to<double>;  // Σ x², in double (clip_grad_norm)
  B::adamw_step(a);
  B::set_threads(threads);
  { B::threads() } -> std::convertible_to<int>;
};

}  // namespace mvg
