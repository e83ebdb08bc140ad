// mvg/optim/adamw.hpp: AdamW over the one parameter buffer, in one fused pass (torch.optim.AdamW's
// arithmetic: decoupled decay p ← p·(1 − lr·wd), then p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)).
// Weight decay applies only where the parameter declared decay (weights of Linear/Conv); biases,
// norms, position/role embeddings and the mask token are not decayed. The passes are the backend's
// (B::adamw_step, B::sum_squares); the per-element update is in backend/elementwise_math.hpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

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
    adamw_args<T, ptr<T, B>, ptr<const T, B>> a;
    a.p = ps_->values().data();
    a.g = ps_->grads().data();
    a.m = m_.data();
    a.v = v_.data();
    a.n = ps_->numel();
    a.b1 = T(opt_.beta1), a.b2 = T(opt_.beta2), a.eps = T(opt_.eps);
    a.decay_factor = T(1.0 - lr * opt_.weight_decay);
    a.step_size = T(lr / (1.0 - std::pow(opt_.beta1, double(t_))));
    a.bc2_sqrt = T(std::sqrt(1.0 - std::pow(opt_.beta2, double(t_))));
    a.decay_runs = decay_runs_.data();
    a.n_decay_runs = decay_runs_.size();
    a.decay_mask = decay_.data();
    B::adamw_step(a);  // one fused pass (backend/elementwise_math.hpp: kernels::adamw_update)
  }

  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  tensor<T, B>& exp_avg() { return m_; }
  tensor<T, B>& exp_avg_sq() { return v_; }
  const adamw_options& options() const { return opt_; }

private:
  param_set<T, B>* ps_;
  adamw_options opt_;
  tensor<T, B> m_, v_, decay_;  // decay_: 1 where weight decay applies (only a massively parallel backend reads it)
  std::vector<decay_run> decay_runs_;
  int64_t t_ = 0;
};

// Scales all gradients so their global L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_);
// returns the norm before clipping.
template <class T, backend B>
double clip_grad_norm(param_set<T, B>& ps, double max_norm) {
  const double sum_sq = B::sum_squares(ps.grads().data(), ps.numel());
  const double norm = std::sqrt(sum_sq);
  if (norm > max_norm && norm > 0) {
    const T f = static_cast<T>(max_norm / (norm + 1e-6));
    B::parallel_for(ps.numel(), [=] MVG_HD(int64_t i, T* gm) { gm[i] *= f; }, ps.grads().data());
  }
  return norm;
}

}  // namespace mvg::optim
