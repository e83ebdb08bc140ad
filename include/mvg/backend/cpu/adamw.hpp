// mvg/backend/cpu/adamw.hpp: the CPU forms of the optimiser's two passes over the parameter buffer
// (optim/adamw.hpp): AdamW's step (mvg::cpu::adamw_step) and clip_grad_norm's sum of squares
// (mvg::cpu::sum_squares). Both go over blocks of 4096 values through Eigen arrays.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mvg/backend/backend.hpp"

namespace mvg::detail {

inline constexpr int64_t optim_block = 4096;

// The same formulas as kernels::adamw_update (backend/elementwise_math.hpp). The scalar loop does not
// vectorise (std::sqrt keeps its errno branch, the decay test is a branch): it was 10% of a batch-1
// training step. Decay is decided per run of parameters (a.decay_runs), not read from a mask, which
// also saves one of the eight streams this memory-bound pass moves. P is the CPU policy.
template <class P, class T>
void adamw_step_cpu(const adamw_args<T>& a) {
  using array = Eigen::Array<T, Eigen::Dynamic, 1>;
  T *p = a.p, *m = a.m, *v = a.v;
  const T* g = a.g;
  const T b1 = a.b1, b2 = a.b2, eps = a.eps, decay_factor = a.decay_factor, step_size = a.step_size,
          bc2_sqrt = a.bc2_sqrt;
  const decay_run* runs = a.decay_runs;
  const std::size_t n_runs = a.n_decay_runs;
  parallel_blocks<P>(a.n, optim_block, [=](int64_t, int64_t lo, int64_t len) {
    const int64_t hi = lo + len;
    // The first run that ends after lo, then every run up to hi.
    std::size_t r = std::upper_bound(runs, runs + n_runs, lo, [](int64_t x, const decay_run& d) { return x < d.end; }) - runs;
    for (int64_t s = lo; s < hi; ++r) {
      const int64_t e = std::min(hi, runs[r].end), run_len = e - s;
      const Eigen::Map<const array> ga(g + s, run_len);
      Eigen::Map<array> pa(p + s, run_len), ma(m + s, run_len), va(v + s, run_len);
      ma = b1 * ma + (T(1) - b1) * ga;
      va = b2 * va + (T(1) - b2) * ga * ga;
      if (runs[r].decay)
        pa = pa * decay_factor - step_size * ma / (va.sqrt() / bc2_sqrt + eps);
      else
        pa = pa - step_size * ma / (va.sqrt() / bc2_sqrt + eps);
      s = e;
    }
  });
}

// Σ x² in double: per-block sums (vectorised, no temporary the size of the buffer), added in order, so
// the result does not depend on the thread count.
template <class P, class T>
double sum_squares_cpu(const T* x, int64_t n) {
  std::vector<double> partial(static_cast<std::size_t>((n + optim_block - 1) / optim_block));
  double* pp = partial.data();
  parallel_blocks<P>(n, optim_block, [=](int64_t b, int64_t lo, int64_t len) {
    pp[b] = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x + lo, len).template cast<double>().square().sum();
  });
  double sum_sq = 0;
  for (double s : partial) sum_sq += s;
  return sum_sq;
}

}  // namespace mvg::detail
