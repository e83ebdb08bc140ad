// mvg/ops/layer_norm.hpp: LayerNorm over the last axis as one fused node.
//   x: [..., D], weight, bias: [D] → y = (x − μ)/√(σ² + eps) · weight + bias
// Forward saves only μ and 1/σ per row; backward recomputes x̂ from x.
#pragma once
#include <cmath>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/elementwise.hpp"

namespace mvg::ops {

template <class T, backend B>
var<T, B> layer_norm(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias, T eps = T(1e-6)) {
  const int64_t d = x.shape()[-1];
  MVG_CHECK(weight.shape() == shape{d} && bias.shape() == shape{d}, "layer_norm: weight ", weight.shape().str(),
            " and bias ", bias.shape().str(), " must both be [", d, "] for input ", x.shape().str());
  const int64_t rows = x.numel() / std::max<int64_t>(d, 1);
  tensor<T, B> y(x.shape()), mean(shape{rows}), rstd(shape{rows});
  const T* xp = x.value().data();
  const T* wp = weight.value().data();
  const T* bp = bias.value().data();
  T *yp = y.data(), *mp = mean.data(), *rp = rstd.data();
  B::parallel_for_heavy(rows, [=] MVG_HD(int64_t r) {
    const T* xr = xp + r * d;
    T* yr = yp + r * d;
    T mu = 0;
    for (int64_t j = 0; j < d; ++j) mu += xr[j];
    mu /= T(d);
    T var = 0;
    for (int64_t j = 0; j < d; ++j) var += (xr[j] - mu) * (xr[j] - mu);
    const T rs = T(1) / std::sqrt(var / T(d) + eps);
    for (int64_t j = 0; j < d; ++j) yr[j] = (xr[j] - mu) * rs * wp[j] + bp[j];
    mp[r] = mu;
    rp[r] = rs;
  });
  const bool rec = autograd::should_record(x, weight, bias);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), mean, rstd, xs = x.slot(), ws = weight.slot(),
                       bs = bias.slot(), os = out.slot(), rows, d] {
    if (!os->has()) return;
    const T *g = os->grad.data(), *xp = xv.data(), *wp = wv.data(), *mp = mean.data(), *rp = rstd.data();
    if (xs) {
      // dx = rstd · (g·w − mean(g·w) − x̂·mean(g·w·x̂))
      T* gx = xs->get().data();
      B::parallel_for_heavy(rows, [=] MVG_HD(int64_t r) {
        const T *gr = g + r * d, *xr = xp + r * d;
        const T mu = mp[r], rs = rp[r];
        T s1 = 0, s2 = 0;
        for (int64_t j = 0; j < d; ++j) {
          const T gw = gr[j] * wp[j];
          s1 += gw;
          s2 += gw * (xr[j] - mu) * rs;
        }
        s1 /= T(d);
        s2 /= T(d);
        for (int64_t j = 0; j < d; ++j) gx[r * d + j] += rs * (gr[j] * wp[j] - s1 - (xr[j] - mu) * rs * s2);
      });
    }
    if (ws || bs) {
      // Column sums over rows: parallel over features, so no two threads write one gradient entry.
      T* gw = ws ? ws->get().data() : nullptr;
      T* gb = bs ? bs->get().data() : nullptr;
      B::parallel_for_heavy(d, [=] MVG_HD(int64_t j) {
        T aw = 0, ab = 0;
        for (int64_t r = 0; r < rows; ++r) {
          const T gv = g[r * d + j];
          aw += gv * (xp[r * d + j] - mp[r]) * rp[r];
          ab += gv;
        }
        if (gw) gw[j] += aw;
        if (gb) gb[j] += ab;
      });
    }
  });
  return out;
}

}  // namespace mvg::ops
