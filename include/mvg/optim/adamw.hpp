// mvg/optim/adamw.hpp: AdamW over the one parameter buffer, in one fused pass (torch.optim.AdamW's
// arithmetic: decoupled decay p ← p·(1 − lr·wd), then p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)).
// Weight decay applies only where the parameter declared decay (weights of Linear/Conv); biases,
// norms, position/role embeddings and the mask token are not decayed.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#if !defined(__CUDACC__)
#include <Eigen/Core>
#endif

#include "mvg/nn/parameters.hpp"

namespace mvg::optim {

struct adamw_options {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.05;
};

template <class T, backend B>
class adamw {
public:
  adamw(param_set<T, B>& ps, adamw_options opt = {}) : ps_(&ps), opt_(opt) {
    m_ = tensor<T, B>::zeros(shape{ps.numel()});
    v_ = tensor<T, B>::zeros(shape{ps.numel()});
    std::vector<T> mask(static_cast<size_t>(ps.numel()), T(0));
    for (const auto& p : ps.infos())
      if (p.decay) std::fill(mask.begin() + p.offset, mask.begin() + p.offset + p.dims.numel(), T(1));
    if constexpr (massively_parallel<B>()) decay_ = tensor<T, B>::from_host(shape{ps.numel()}, mask);
    for (int64_t i = 0; i < ps.numel(); ++i) {  // maximal runs of equal decay flags, in order
      const bool d = mask[static_cast<size_t>(i)] != T(0);
      if (decay_runs_.empty() || decay_runs_.back().decay != d)
        decay_runs_.push_back({i + 1, d});
      else
        decay_runs_.back().end = i + 1;
    }
  }

  // One update with learning rate lr (the schedule's value for this iteration).
  void step(double lr) {
    ++t_;
    const T b1 = T(opt_.beta1), b2 = T(opt_.beta2), eps = T(opt_.eps);
    const T decay_factor = T(1.0 - lr * opt_.weight_decay);
    const T step_size = T(lr / (1.0 - std::pow(opt_.beta1, double(t_))));
    const T bc2_sqrt = T(std::sqrt(1.0 - std::pow(opt_.beta2, double(t_))));
    T* p = ps_->values().data();
    const T* g = ps_->grads().data();
    T *m = m_.data(), *v = v_.data();
    const T* dm = decay_.data();
#if !defined(__CUDACC__)
    if constexpr (!massively_parallel<B>()) {
      step_cpu(p, g, m, v, b1, b2, eps, decay_factor, step_size, bc2_sqrt);
      return;
    }
#endif
    B::parallel_for(ps_->numel(), [=] MVG_HD(int64_t i) {
      const T gi = g[i];
      m[i] = b1 * m[i] + (T(1) - b1) * gi;
      v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
      const T pi = dm[i] != T(0) ? p[i] * decay_factor : p[i];
      p[i] = pi - step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
    });
  }

  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  tensor<T, B>& exp_avg() { return m_; }
  tensor<T, B>& exp_avg_sq() { return v_; }
  const adamw_options& options() const { return opt_; }

private:
#if !defined(__CUDACC__)
  // CPU form: blocks through Eigen arrays, the same formulas as the per-element form. The scalar loop
  // does not vectorise (std::sqrt keeps its errno branch, the decay test is a branch): it was 10% of
  // a batch-1 training step. Decay is decided per run of parameters (decay_runs_), not read from the
  // mask, which also saves one of the eight streams this memory-bound pass moves.
  void step_cpu(T* p, const T* g, T* m, T* v, T b1, T b2, T eps, T decay_factor, T step_size, T bc2_sqrt) const {
    using array = Eigen::Array<T, Eigen::Dynamic, 1>;
    constexpr int64_t block = 4096;
    const int64_t n = ps_->numel();
    const decay_run* runs = decay_runs_.data();
    const std::size_t n_runs = decay_runs_.size();
    parallel_blocks<B>(n, block, [=](int64_t, int64_t lo, int64_t len) {
      const int64_t hi = lo + len;
      // The first run that ends after lo, then every run up to hi.
      std::size_t r = std::upper_bound(runs, runs + n_runs, lo, [](int64_t x, const decay_run& d) { return x < d.end; }) - runs;
      for (int64_t a = lo; a < hi; ++r) {
        const int64_t e = std::min(hi, runs[r].end), len = e - a;
        const Eigen::Map<const array> ga(g + a, len);
        Eigen::Map<array> pa(p + a, len), ma(m + a, len), va(v + a, len);
        ma = b1 * ma + (T(1) - b1) * ga;
        va = b2 * va + (T(1) - b2) * ga * ga;
        if (runs[r].decay)
          pa = pa * decay_factor - step_size * ma / (va.sqrt() / bc2_sqrt + eps);
        else
          pa = pa - step_size * ma / (va.sqrt() / bc2_sqrt + eps);
        a = e;
      }
    });
  }
#endif

  struct decay_run {  // a run ends where the next begins; the first begins at 0
    int64_t end;
    bool decay;
  };

  param_set<T, B>* ps_;
  adamw_options opt_;
  tensor<T, B> m_, v_, decay_;  // decay_: 1 where weight decay applies (only the per-element form reads it)
  std::vector<decay_run> decay_runs_;
  int64_t t_ = 0;
};

// Scales all gradients so their global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_);
// returns the norm before clipping.
template <class T, backend B>
double clip_grad_norm(param_set<T, B>& ps, double max_norm) {
  const T* g = ps.grads().data();
  double sum_sq = 0;
#if !defined(__CUDACC__)
  if constexpr (!massively_parallel<B>()) {
    // CPU: per-block sums of squares (vectorised, no temporary the size of the model), added in order.
    constexpr int64_t block = 4096;
    const int64_t n = ps.numel();
    std::vector<double> partial(static_cast<std::size_t>((n + block - 1) / block));
    double* pp = partial.data();
    parallel_blocks<B>(n, block, [=](int64_t b, int64_t lo, int64_t len) {
      pp[b] = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(g + lo, len).template cast<double>().square().sum();
    });
    for (double v : partial) sum_sq += v;
  } else
#endif
  {
    tensor<T, B> sq(shape{ps.numel()});
    T* s = sq.data();
    B::parallel_for(ps.numel(), [=] MVG_HD(int64_t i) { s[i] = g[i] * g[i]; });
    sum_sq = B::sum(sq.data(), ps.numel());
  }
  const double norm = std::sqrt(sum_sq);
  if (norm > max_norm && norm > 0) {
    const T f = static_cast<T>(max_norm / (norm + 1e-6));
    T* gm = ps.grads().data();
    B::parallel_for(ps.numel(), [=] MVG_HD(int64_t i) { gm[i] *= f; });
  }
  return norm;
}

}  // namespace mvg::optim
