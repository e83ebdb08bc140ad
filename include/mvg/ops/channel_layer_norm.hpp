// mvg/ops/channel_layer_norm.hpp: LayerNorm over the channels of an NCHW map, per pixel
// (what ConvNeXt/SAM call LayerNorm2d; the MVG decoder's norm between its two convolutions).
//   x: [N, C, H, W], weight, bias: [C] → y[n,:,h,w] = LN(x[n,:,h,w])
#pragma once
#include <cmath>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/layer_norm.hpp"

namespace mvg::ops {

template <class T, backend B>
var<T, B> channel_layer_norm(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias,
                             T eps = T(1e-6)) {
  MVG_CHECK(x.shape().rank() == 4, "channel_layer_norm: input must be [N, C, H, W], got ", x.shape().str());
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  MVG_CHECK(weight.shape() == shape{c} && bias.shape() == shape{c}, "channel_layer_norm: weight ",
            weight.shape().str(), " and bias ", bias.shape().str(), " must both be [", c, "]");
  tensor<T, B> y(x.shape()), mean(shape{n * hw}), rstd(shape{n * hw});
  const T *xp = x.value().data(), *wp = weight.value().data(), *bp = bias.value().data();
  T *yp = y.data(), *mp = mean.data(), *rp = rstd.data();
  // One pixel per item; channels are hw apart. Pixels of one image are adjacent, so loops over c
  // read contiguous memory across neighbouring items.
  B::parallel_for(n * hw, [=] MVG_HD(int64_t i) {
    const int64_t base = (i / hw) * c * hw + i % hw;
    detail::layer_norm_forward(xp + base, yp + base, c, hw, wp, bp, eps, mp[i], rp[i]);
  });
  const bool rec = autograd::should_record(x, weight, bias);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), mean, rstd, xs = x.slot(), ws = weight.slot(),
                       bs = bias.slot(), os = out.slot(), n, c, hw] {
    if (!os->has()) return;
    const T *g = os->grad.data(), *xp = xv.data(), *wp = wv.data(), *mp = mean.data(), *rp = rstd.data();
    if (xs) {
      T* gx = xs->get().data();
      B::parallel_for(n * hw, [=] MVG_HD(int64_t i) {
        const int64_t base = (i / hw) * c * hw + i % hw;
        detail::layer_norm_backward_input(g + base, xp + base, gx + base, c, hw, wp, mp[i], rp[i]);
      });
    }
    if (ws || bs) {
      T* gw = ws ? ws->get().data() : nullptr;
      T* gb = bs ? bs->get().data() : nullptr;
      B::parallel_for_heavy(c, [=] MVG_HD(int64_t k) {
        T aw = 0, ab = 0;
        for (int64_t img = 0; img < n; ++img)
          for (int64_t p = 0; p < hw; ++p) {
            const int64_t e = (img * c + k) * hw + p, i = img * hw + p;
            aw += g[e] * (xp[e] - mp[i]) * rp[i];
            ab += g[e];
          }
        if (gw) gw[k] += aw;
        if (gb) gb[k] += ab;
      });
    }
  });
  return out;
}

}  // namespace mvg::ops
