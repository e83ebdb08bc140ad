// mvg/ops/loss.hpp: regression losses reduced to a 0-d scalar, with optional per-element weights.
//   unweighted: mean ℓ(pred − target);   weighted: Σ w·ℓ / Σ w  (w ≥ 0, no gradient)
//   smooth-L1(β): 0.5 d²/β if |d| < β else |d| − 0.5β (torch's beta form);  L1: |d|;  L2: d²
// The weighted form is the released MVG/Painter code's masked mean: a 0/1 weight restricts the loss
// to masked patches, and a 0.1 background weight down-weights segmentation background.
#pragma once
#include <cmath>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

enum class loss_kind { smooth_l1, l1, l2 };

struct loss_params {
  loss_kind kind = loss_kind::smooth_l1;
  double beta = 0.01;  // smooth-L1 only (the released code's value)
};

namespace detail {
template <class T>
MVG_HD inline T loss_value(T d, loss_kind k, T beta) {
  const T a = d < T(0) ? -d : d;
  if (k == loss_kind::l2) return d * d;
  if (k == loss_kind::l1 || a >= beta) return k == loss_kind::l1 ? a : a - T(0.5) * beta;
  return T(0.5) * d * d / beta;
}
template <class T>
MVG_HD inline T loss_grad(T d, loss_kind k, T beta) {
  const T sign = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
  if (k == loss_kind::l2) return T(2) * d;
  if (k == loss_kind::l1) return sign;
  const T a = d < T(0) ? -d : d;
  return a < beta ? d / beta : sign;
}
}  // namespace detail

template <class T, backend B>
var<T, B> regression_loss(const var<T, B>& pred, const var<T, B>& target, const tensor<T, B>* weight = nullptr,
                          loss_params prm = {}) {
  check_same_shape("loss (pred, target)", pred.shape(), target.shape());
  if (weight) check_same_shape("loss (pred, weight)", pred.shape(), weight->shape());
  MVG_CHECK(prm.kind != loss_kind::smooth_l1 || prm.beta > 0, "smooth_l1: beta ", prm.beta, " must be positive");
  const int64_t n = pred.numel();
  MVG_CHECK(n > 0, "loss: empty input ", pred.shape().str());
  const T beta = static_cast<T>(prm.beta);
  const loss_kind kind = prm.kind;
  tensor<T, B> terms(pred.shape());
  B::parallel_for(
      n,
      [=] MVG_HD(int64_t i, const T* pp, const T* tp, const T* wp, T* lp) {
        lp[i] = detail::loss_value(pp[i] - tp[i], kind, beta) * (wp ? wp[i] : T(1));
      },
      pred.value().data(), target.value().data(), weight ? weight->data() : ptr<T, B>{}, terms.data());
  const double denom = weight ? B::sum(weight->data(), n) : static_cast<double>(n);
  MVG_CHECK(denom > 0, "loss: the weights sum to ", denom, "; nothing to average over");
  tensor<T, B> y(shape{});
  B::fill(y.data(), 1, static_cast<T>(B::sum(terms.data(), n) / denom));
  const bool rec = autograd::should_record(pred, target);
  auto out = autograd::result(y, rec);
  detail::record(rec, [pv = pred.value(), tv = target.value(), wv = weight ? *weight : tensor<T, B>{},
                       ps = pred.slot(), ts = target.slot(), os = out.slot(), n, kind, beta, denom] {
    if (!os->has()) return;
    const T inv = static_cast<T>(1.0 / denom);
    B::parallel_for(
        n,
        [=] MVG_HD(int64_t i, const T* pp, const T* tp, const T* wp, const T* g, T* gp, T* gt) {
          const T d = detail::loss_grad(pp[i] - tp[i], kind, beta) * (wp ? wp[i] : T(1)) * inv * g[0];
          if (gp) gp[i] += d;
          if (gt) gt[i] -= d;
        },
        pv.data(), tv.data(), wv.defined() ? wv.data() : ptr<T, B>{}, os->grad.data(),
        detail::grad_or_null<T, B>(ps), detail::grad_or_null<T, B>(ts));
  });
  return out;
}

template <class T, backend B>
var<T, B> smooth_l1_loss(const var<T, B>& pred, const var<T, B>& target, double beta = 0.01,
                         const tensor<T, B>* weight = nullptr) {
  return regression_loss(pred, target, weight, {loss_kind::smooth_l1, beta});
}
template <class T, backend B>
var<T, B> l1_loss(const var<T, B>& pred, const var<T, B>& target, const tensor<T, B>* weight = nullptr) {
  return regression_loss(pred, target, weight, {loss_kind::l1, 0});
}
template <class T, backend B>
var<T, B> l2_loss(const var<T, B>& pred, const var<T, B>& target, const tensor<T, B>* weight = nullptr) {
  return regression_loss(pred, target, weight, {loss_kind::l2, 0});
}

}  // namespace mvg::ops
