// mvg/ops/layer_norm.hpp: LayerNorm over the last axis as one fused node.
//   x: [..., D], weight, bias: [D] → y = (x − μ)/√(σ² + eps) · weight + bias
// Forward saves only μ and 1/σ per row; backward recomputes x̂ from x.
#pragma once
#include <cmath>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/elementwise.hpp"

namespace mvg::ops {

namespace detail {
// LayerNorm of d values spaced `stride` apart (1 for a row, H·W for the channels of an NCHW pixel):
// y = (x − μ)·rstd·w + b. Returns μ and rstd for backward.
template <class T>
MVG_HD inline void layer_norm_forward(const T* x, T* y, int64_t d, int64_t stride, const T* w, const T* b, T eps,
                                      T& mu_out, T& rstd_out) {
  T mu = 0;
  for (int64_t j = 0; j < d; ++j) mu += x[j * stride];
  mu /= T(d);
  T var = 0;
  for (int64_t j = 0; j < d; ++j) var += (x[j * stride] - mu) * (x[j * stride] - mu);
  const T rs = T(1) / std::sqrt(var / T(d) + eps);
  for (int64_t j = 0; j < d; ++j) y[j * stride] = (x[j * stride] - mu) * rs * w[j] + b[j];
  mu_out = mu;
  rstd_out = rs;
}
// gx += rstd · (g·w − mean(g·w) − x̂·mean(g·w·x̂)) over the same strided values.
template <class T>
MVG_HD inline void layer_norm_backward_input(const T* g, const T* x, T* gx, int64_t d, int64_t stride, const T* w,
                                             T mu, T rs) {
  T s1 = 0, s2 = 0;
  for (int64_t j = 0; j < d; ++j) {
    const T gw = g[j * stride] * w[j];
    s1 += gw;
    s2 += gw * (x[j * stride] - mu) * rs;
  }
  s1 /= T(d);
  s2 /= T(d);
  for (int64_t j = 0; j < d; ++j)
    gx[j * stride] += rs * (g[j * stride] * w[j] - s1 - (x[j * stride] - mu) * rs * s2);
}
}  // namespace detail

template <class T, backend B>
var<T, B> layer_norm(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias, T eps = T(1e-6)) {
  const int64_t d = x.shape()[-1];
  MVG_CHECK(weight.shape() == shape{d} && bias.shape() == shape{d}, "layer_norm: weight ", weight.shape().str(),
            " and bias ", bias.shape().str(), " must both be [", d, "] for input ", x.shape().str());
  const int64_t rows = x.numel() / std::max<int64_t>(d, 1);
  tensor<T, B> y(x.shape()), mean(shape{rows}), rstd(shape{rows});
  B::parallel_for_heavy(
      rows,
      [=] MVG_HD(int64_t r, const T* xp, const T* wp, const T* bp, T* yp, T* mp, T* rp) {
        detail::layer_norm_forward(xp + r * d, yp + r * d, d, int64_t{1}, wp, bp, eps, mp[r], rp[r]);
      },
      x.value().data(), weight.value().data(), bias.value().data(), y.data(), mean.data(), rstd.data());
  const bool rec = autograd::should_record(x, weight, bias);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), mean, rstd, xs = x.slot(), ws = weight.slot(),
                       bs = bias.slot(), os = out.slot(), rows, d] {
    if (!os->has()) return;
    const auto g = os->grad.data(), xp = xv.data(), wp = wv.data(), mp = mean.data(), rp = rstd.data();
    if (xs) {
      B::parallel_for_heavy(
          rows,
          [=] MVG_HD(int64_t r, const T* g, const T* xp, const T* wp, const T* mp, const T* rp, T* gx) {
            detail::layer_norm_backward_input(g + r * d, xp + r * d, gx + r * d, d, int64_t{1}, wp, mp[r], rp[r]);
          },
          g, xp, wp, mp, rp, xs->get().data());
    }
    if (ws || bs) {
      // Column sums over rows: parallel over features, so no two threads write one gradient entry.
      B::parallel_for_heavy(
          d,
          [=] MVG_HD(int64_t j, const T* g, const T* xp, const T* mp, const T* rp, T* gw, T* gb) {
            T aw = 0, ab = 0;
            for (int64_t r = 0; r < rows; ++r) {
              const T gv = g[r * d + j];
              aw += gv * (xp[r * d + j] - mp[r]) * rp[r];
              ab += gv;
            }
            if (gw) gw[j] += aw;
            if (gb) gb[j] += ab;
          },
          g, xp, mp, rp, detail::grad_or_null<T, B>(ws), detail::grad_or_null<T, B>(bs));
    }
  });
  return out;
}

}  // namespace mvg::ops
