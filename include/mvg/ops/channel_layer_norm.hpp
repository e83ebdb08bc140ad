// mvg/ops/channel_layer_norm.hpp: LayerNorm over the channels of an NCHW map, per pixel
// (what ConvNeXt/SAM call LayerNorm2d; the MVG decoder's norm between its two convolutions).
//   x: [N, C, H, W], weight, bias: [C] → y[n,:,h,w] = LN(x[n,:,h,w])
#pragma once
#include <algorithm>
#include <cmath>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/layer_norm.hpp"

namespace mvg::ops {

namespace detail {
inline constexpr int64_t pixel_block = 64;  // pixels per CPU work item (a few KB per channel sweep)
}  // namespace detail

template <class T, backend B>
var<T, B> channel_layer_norm(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias,
                             T eps = T(1e-6)) {
  MVG_CHECK(x.shape().rank() == 4, "channel_layer_norm: input must be [N, C, H, W], got ", x.shape().str());
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  MVG_CHECK(weight.shape() == shape{c} && bias.shape() == shape{c}, "channel_layer_norm: weight ",
            weight.shape().str(), " and bias ", bias.shape().str(), " must both be [", c, "]");
  tensor<T, B> y(x.shape()), mean(shape{n * hw}), rstd(shape{n * hw});
  const auto xp = x.value().data(), wp = weight.value().data(), bp = bias.value().data();
  const auto yp = y.data(), mp = mean.data(), rp = rstd.data();
  if constexpr (massively_parallel<B>()) {
    // One pixel per thread; channels are hw apart, and neighbouring threads read neighbouring pixels.
    B::parallel_for(
        n * hw,
        [=] MVG_HD(int64_t i, const T* xp, const T* wp, const T* bp, T* yp, T* mp, T* rp) {
          const int64_t base = (i / hw) * c * hw + i % hw;
          detail::layer_norm_forward(xp + base, yp + base, c, hw, wp, bp, eps, mp[i], rp[i]);
        },
        xp, wp, bp, yp, mp, rp);
  } else {
    // A block of pixels per iteration, channel-major: every inner loop is contiguous. Same sums in the
    // same channel order as layer_norm_forward, so both decompositions give identical values.
    const int64_t blocks = (hw + detail::pixel_block - 1) / detail::pixel_block;
    B::parallel_for_heavy(n * blocks, [=](int64_t item) {
      const int64_t img = item / blocks, p0 = (item % blocks) * detail::pixel_block;
      const int64_t len = std::min<int64_t>(detail::pixel_block, hw - p0);
      T mu[detail::pixel_block] = {}, var[detail::pixel_block] = {};
      for (int64_t k = 0; k < c; ++k) {
        const T* xr = xp + (img * c + k) * hw + p0;
        for (int64_t j = 0; j < len; ++j) mu[j] += xr[j];
      }
      for (int64_t j = 0; j < len; ++j) mu[j] /= T(c);
      for (int64_t k = 0; k < c; ++k) {
        const T* xr = xp + (img * c + k) * hw + p0;
        for (int64_t j = 0; j < len; ++j) var[j] += (xr[j] - mu[j]) * (xr[j] - mu[j]);
      }
      T* rs = rp + img * hw + p0;
      for (int64_t j = 0; j < len; ++j) {
        rs[j] = T(1) / std::sqrt(var[j] / T(c) + eps);
        mp[img * hw + p0 + j] = mu[j];
      }
      for (int64_t k = 0; k < c; ++k) {
        const T* xr = xp + (img * c + k) * hw + p0;
        T* yr = yp + (img * c + k) * hw + p0;
        for (int64_t j = 0; j < len; ++j) yr[j] = (xr[j] - mu[j]) * rs[j] * wp[k] + bp[k];
      }
    });
  }
  const bool rec = autograd::should_record(x, weight, bias);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), mean, rstd, xs = x.slot(), ws = weight.slot(),
                       bs = bias.slot(), os = out.slot(), n, c, hw] {
    if (!os->has()) return;
    const auto g = os->grad.data(), xp = xv.data(), wp = wv.data(), mp = mean.data(), rp = rstd.data();
    if (xs) {
      const auto gx = xs->get().data();
      if constexpr (massively_parallel<B>()) {
        B::parallel_for(
            n * hw,
            [=] MVG_HD(int64_t i, const T* g, const T* xp, const T* wp, const T* mp, const T* rp, T* gx) {
              const int64_t base = (i / hw) * c * hw + i % hw;
              detail::layer_norm_backward_input(g + base, xp + base, gx + base, c, hw, wp, mp[i], rp[i]);
            },
            g, xp, wp, mp, rp, gx);
      } else {  // blocks of pixels, channel-major, as in the forward
        const int64_t blocks = (hw + detail::pixel_block - 1) / detail::pixel_block;
        B::parallel_for_heavy(n * blocks, [=](int64_t item) {
          const int64_t img = item / blocks, p0 = (item % blocks) * detail::pixel_block;
          const int64_t len = std::min<int64_t>(detail::pixel_block, hw - p0);
          const T *mu = mp + img * hw + p0, *rs = rp + img * hw + p0;
          T s1[detail::pixel_block] = {}, s2[detail::pixel_block] = {};
          for (int64_t k = 0; k < c; ++k) {
            const T *gr = g + (img * c + k) * hw + p0, *xr = xp + (img * c + k) * hw + p0;
            for (int64_t j = 0; j < len; ++j) {
              const T gw = gr[j] * wp[k];
              s1[j] += gw;
              s2[j] += gw * (xr[j] - mu[j]) * rs[j];
            }
          }
          for (int64_t j = 0; j < len; ++j) {
            s1[j] /= T(c);
            s2[j] /= T(c);
          }
          for (int64_t k = 0; k < c; ++k) {
            const T *gr = g + (img * c + k) * hw + p0, *xr = xp + (img * c + k) * hw + p0;
            T* gxr = gx + (img * c + k) * hw + p0;
            for (int64_t j = 0; j < len; ++j)
              gxr[j] += rs[j] * (gr[j] * wp[k] - s1[j] - (xr[j] - mu[j]) * rs[j] * s2[j]);
          }
        });
      }
    }
    if (ws || bs) {
      B::parallel_for_heavy(
          c,
          [=] MVG_HD(int64_t k, const T* g, const T* xp, const T* mp, const T* rp, T* gw, T* gb) {
            T aw = 0, ab = 0;
            for (int64_t img = 0; img < n; ++img)
              for (int64_t p = 0; p < hw; ++p) {
                const int64_t e = (img * c + k) * hw + p, i = img * hw + p;
                aw += g[e] * (xp[e] - mp[i]) * rp[i];
                ab += g[e];
              }
            if (gw) gw[k] += aw;
            if (gb) gb[k] += ab;
          },
          g, xp, mp, rp, detail::grad_or_null<T, B>(ws), detail::grad_or_null<T, B>(bs));
    }
  });
  return out;
}

}  // namespace mvg::ops
