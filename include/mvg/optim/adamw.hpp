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
    decay_ = tensor<T, B>::from_host(shape{ps.numel()}, mask);
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
      step_cpu(p, g, m, v, dm, b1, b2, eps, decay_factor, step_size, bc2_sqrt);
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
  // does not vectorise (std::sqrt keeps its errno branch); it was 10% of a batch-1 training step.
  void step_cpu(T* p, const T* g, T* m, T* v, const T* dm, T b1, T b2, T eps, T decay_factor, T step_size,
                T bc2_sqrt) const {
    using array = Eigen::Array<T, Eigen::Dynamic, 1>;
    constexpr int64_t block = 4096;
    const int64_t n = ps_->numel();
    B::parallel_for_heavy((n + block - 1) / block, [=](int64_t b) {
      const int64_t lo = b * block, len = std::min(block, n - lo);
      const Eigen::Map<const array> ga(g + lo, len), da(dm + lo, len);
      Eigen::Map<array> pa(p + lo, len), ma(m + lo, len), va(v + lo, len);
      ma = b1 * ma + (T(1) - b1) * ga;
      va = b2 * va + (T(1) - b2) * ga * ga;
      pa = (da != T(0)).select(pa * decay_factor, pa) - step_size * ma / (va.sqrt() / bc2_sqrt + eps);
    });
  }
#endif

  param_set<T, B>* ps_;
  adamw_options opt_;
  tensor<T, B> m_, v_, decay_;
  int64_t t_ = 0;
};

// Scales all gradients so their global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_);
// returns the norm before clipping.
template <class T, backend B>
double clip_grad_norm(param_set<T, B>& ps, double max_norm) {
  tensor<T, B> sq(shape{ps.numel()});
  const T* g = ps.grads().data();
  T* s = sq.data();
  B::parallel_for(ps.numel(), [=] MVG_HD(int64_t i) { s[i] = g[i] * g[i]; });
  const double norm = std::sqrt(B::sum(sq.data(), ps.numel()));
  if (norm > max_norm && norm > 0) {
    const T f = static_cast<T>(max_norm / (norm + 1e-6));
    T* gm = ps.grads().data();
    B::parallel_for(ps.numel(), [=] MVG_HD(int64_t i) { gm[i] *= f; });
  }
  return norm;
}

}  // namespace mvg::optim
