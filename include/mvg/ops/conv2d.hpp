// mvg/ops/conv2d.hpp: 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) as one node.
//   x: [N, Cin, H, W], weight: [Cout, Cin, kh, kw], bias: [Cout] or absent → [N, Cout, OH, OW]
//   OH = (H + 2·pad − kh)/stride + 1. Run by the backend where it has convolutions of its own (the CPU's
//   oneDNN ones in bf16), else lowered to im2col + one GEMM per image; images are processed in chunks
//   so the column buffer stays bounded (≤ 2^24 elements).
#pragma once
#include <algorithm>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/matmul.hpp"

namespace mvg::ops {

struct conv2d_params {
  int64_t stride = 1, padding = 0;
};

namespace detail {
// The backend's conv_args (the geometry a backend's own convolutions take), with what im2col derives.
struct conv_geometry : conv_args {
  int64_t k() const { return cin * kh * kw; }
  int64_t ohw() const { return oh * ow; }
  // Output columns [lo, hi) whose input column ox·stride − pad + kx lies inside the image.
  void valid_columns(int64_t kx, int64_t& lo, int64_t& hi) const {
    lo = std::clamp<int64_t>((pad - kx + stride - 1) / stride, 0, ow);
    hi = std::clamp<int64_t>((w + pad - kx + stride - 1) / stride, lo, ow);
  }
};

// col[i][(ci·kh + ky)·kw + kx][oy·ow + ox] = x[n0 + i][ci][oy·s − p + ky][ox·s − p + kx] (0 outside)
template <class T, backend B>
void im2col(const conv_geometry& g, ptr<const T, B> x, int64_t n0, int64_t count, ptr<T, B> col) {
  const int64_t kk = g.k(), ohw = g.ohw();
  if constexpr (massively_parallel<B>()) {
    B::parallel_for(
        count * kk * ohw,
        [=] MVG_HD(int64_t e, const T* x, T* col) {
          const int64_t pix = e % ohw, row = (e / ohw) % kk, img = e / (ohw * kk);
          const int64_t kx = row % g.kw, ky = (row / g.kw) % g.kh, ci = row / (g.kw * g.kh);
          const int64_t iy = (pix / g.ow) * g.stride - g.pad + ky, ix = (pix % g.ow) * g.stride - g.pad + kx;
          col[e] = (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) ? x[(((n0 + img) * g.cin + ci) * g.h + iy) * g.w + ix]
                                                                : T(0);
        },
        x, col);
  } else {
    // One column row per iteration; divisions only per row, the inner loop walks the input row.
    B::parallel_for_heavy(count * kk, [=](int64_t r) {
      const int64_t row = r % kk, img = r / kk;
      const int64_t kx = row % g.kw, ky = (row / g.kw) % g.kh, ci = row / (g.kw * g.kh);
      const T* plane = x + ((n0 + img) * g.cin + ci) * g.h * g.w;
      T* out = col + r * ohw;
      int64_t ox_lo, ox_hi;
      g.valid_columns(kx, ox_lo, ox_hi);
      for (int64_t oy = 0; oy < g.oh; ++oy, out += g.ow) {
        const int64_t iy = oy * g.stride - g.pad + ky;
        if (iy < 0 || iy >= g.h) {
          std::fill(out, out + g.ow, T(0));
          continue;
        }
        const int64_t base = iy * g.w - g.pad + kx;  // plane[base + ox·s] is x[iy][ox·s − p + kx]
        std::fill(out, out + ox_lo, T(0));
        if (g.stride == 1)
          std::copy(plane + base + ox_lo, plane + base + ox_hi, out + ox_lo);
        else
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out[ox] = plane[base + ox * g.stride];
        std::fill(out + ox_hi, out + g.ow, T(0));
      }
    });
  }
}

// dx[n0 + i] += col2im(dcol[i]).
template <class T, backend B>
void col2im_add(const conv_geometry& g, ptr<const T, B> dcol, int64_t n0, int64_t count, ptr<T, B> dx) {
  const int64_t kk = g.k(), ohw = g.ohw();
  if constexpr (massively_parallel<B>()) {
    // Each input pixel gathers the column entries that read it (no races).
    B::parallel_for(count * g.cin * g.h * g.w, [=] MVG_HD(int64_t e, const T* dcol, T* dx) {
      const int64_t ix = e % g.w, iy = (e / g.w) % g.h, ci = (e / (g.w * g.h)) % g.cin, img = e / (g.w * g.h * g.cin);
      T acc = 0;
      for (int64_t ky = 0; ky < g.kh; ++ky) {
        const int64_t ty = iy + g.pad - ky;
        if (ty < 0 || ty % g.stride) continue;
        const int64_t oy = ty / g.stride;
        if (oy >= g.oh) continue;
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const int64_t tx = ix + g.pad - kx;
          if (tx < 0 || tx % g.stride) continue;
          const int64_t ox = tx / g.stride;
          if (ox >= g.ow) continue;
          acc += dcol[(img * kk + (ci * g.kh + ky) * g.kw + kx) * ohw + oy * g.ow + ox];
        }
      }
      dx[(n0 * g.cin) * g.h * g.w + e] += acc;
    }, dcol, dx);
  } else {
    // One input plane per iteration: it owns that plane, so scattering its kh·kw column rows into it
    // row by row has no races, and the inner loop is contiguous.
    B::parallel_for_heavy(count * g.cin, [=](int64_t pl) {
      const int64_t ci = pl % g.cin, img = pl / g.cin;
      T* plane = dx + ((n0 + img) * g.cin + ci) * g.h * g.w;
      for (int64_t ky = 0; ky < g.kh; ++ky)
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const T* in = dcol + (img * kk + (ci * g.kh + ky) * g.kw + kx) * ohw;
          int64_t ox_lo, ox_hi;
          g.valid_columns(kx, ox_lo, ox_hi);
          for (int64_t oy = 0; oy < g.oh; ++oy, in += g.ow) {
            const int64_t iy = oy * g.stride - g.pad + ky;
            if (iy < 0 || iy >= g.h) continue;
            const int64_t base = iy * g.w - g.pad + kx;
            for (int64_t ox = ox_lo; ox < ox_hi; ++ox) plane[base + ox * g.stride] += in[ox];
          }
        }
    });
  }
}

inline int64_t conv_chunk(const conv_geometry& g) {
  return std::clamp<int64_t>((int64_t{1} << 24) / std::max<int64_t>(g.k() * g.ohw(), 1), 1, g.n);
}
// The backend's own convolutions (backend.hpp's conv_args), where it has them and takes this one;
// false sends the caller to im2col + gemm.
template <class T, backend B>
bool backend_conv_forward(const conv_geometry& g, ptr<const T, B> x, ptr<const T, B> w, ptr<T, B> y) {
  if constexpr (requires { B::conv2d_forward(g, x, w, y); })
    return B::conv2d_forward(g, x, w, y);
  return false;
}
template <class T, backend B>
bool backend_conv_backward_data(const conv_geometry& g, ptr<const T, B> gy, ptr<const T, B> w, ptr<T, B> gx) {
  if constexpr (requires { B::conv2d_backward_data(g, gy, w, gx); })
    return B::conv2d_backward_data(g, gy, w, gx);
  return false;
}
template <class T, backend B>
bool backend_conv_backward_weights(const conv_geometry& g, ptr<const T, B> x, ptr<const T, B> gy, ptr<T, B> gw) {
  if constexpr (requires { B::conv2d_backward_weights(g, x, gy, gw); })
    return B::conv2d_backward_weights(g, x, gy, gw);
  return false;
}
}  // namespace detail

template <class T, backend B>
var<T, B> conv2d(const var<T, B>& x, const var<T, B>& weight, const var<T, B>* bias = nullptr,
                 conv2d_params prm = {}) {
  const shape &xs_ = x.shape(), &ws_ = weight.shape();
  MVG_CHECK(xs_.rank() == 4 && ws_.rank() == 4, "conv2d: input ", xs_.str(), " must be [N, C, H, W] and weight ",
            ws_.str(), " [Cout, Cin, kh, kw]");
  MVG_CHECK(xs_[1] == ws_[1], "conv2d: input ", xs_.str(), " has ", xs_[1], " channels, weight ", ws_.str(),
            " expects ", ws_[1]);
  MVG_CHECK(prm.stride >= 1 && prm.padding >= 0, "conv2d: stride ", prm.stride, " / padding ", prm.padding,
            " invalid");
  detail::conv_geometry g{{xs_[0], xs_[1], xs_[2], xs_[3], ws_[0], ws_[2], ws_[3], prm.stride, prm.padding, 0, 0}};
  MVG_CHECK(g.h + 2 * g.pad >= g.kh && g.w + 2 * g.pad >= g.kw, "conv2d: kernel ", ws_.str(),
            " larger than padded input ", xs_.str());
  g.oh = (g.h + 2 * g.pad - g.kh) / g.stride + 1;
  g.ow = (g.w + 2 * g.pad - g.kw) / g.stride + 1;
  if (bias) MVG_CHECK(bias->shape() == shape{g.cout}, "conv2d: bias ", bias->shape().str(), " must be [", g.cout, "]");

  tensor<T, B> y(shape{g.n, g.cout, g.oh, g.ow});
  // A 1×1, stride-1, unpadded convolution's column matrix is the input itself: no im2col copy.
  const bool pointwise = g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0;
  const int64_t chunk = pointwise ? g.n : detail::conv_chunk(g), kk = g.k(), ohw = g.ohw();
  if (pointwise || !detail::backend_conv_forward<T, B>(g, x.value().data(), weight.value().data(), y.data())) {
    tensor<T, B> col = pointwise ? tensor<T, B>() : tensor<T, B>(shape{chunk * kk * ohw});
    for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const int64_t cnt = std::min(chunk, g.n - n0);
      const ptr<const T, B> cp = pointwise ? x.value().data() + n0 * kk * ohw : col.data();
      if (!pointwise) detail::im2col<T, B>(g, x.value().data(), n0, cnt, col.data());
      // y[i] = W[Cout, K] · col[i][K, OHW], the weight shared across the chunk.
      detail::dense_gemm<T, B>(false, false, g.cout, ohw, kk, weight.value().data(), cp, y.data() + n0 * g.cout * ohw,
                               T(0), cnt, 0, kk * ohw, g.cout * ohw);
    }
  }
  if (bias) {
    const auto bp = bias->value().data();
    const auto yp = y.data();
    const int64_t cout = g.cout;
    if constexpr (massively_parallel<B>()) {
      B::parallel_for(y.numel(), [=] MVG_HD(int64_t i, const T* bp, T* yp) { yp[i] += bp[(i / ohw) % cout]; }, bp, yp);
    } else {  // one output plane per iteration: a constant added along a contiguous row
      B::parallel_for_heavy(g.n * cout, [=](int64_t plane) {
        T* row = yp + plane * ohw;
        const T b = bp[plane % cout];
        for (int64_t p = 0; p < ohw; ++p) row[p] += b;
      });
    }
  }
  const bool rec = bias ? autograd::should_record(x, weight, *bias) : autograd::should_record(x, weight);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), xs = x.slot(), ws = weight.slot(),
                       bs = bias ? bias->slot() : nullptr, os = out.slot(), g, chunk, pointwise] {
    if (!os->has()) return;
    const ptr<const T, B> gy = os->grad.data();
    const int64_t kk = g.k(), ohw = g.ohw();
    if (bs) {
      B::parallel_for_heavy(
          g.cout,
          [=] MVG_HD(int64_t c, const T* gy, T* gb) {
            T acc = 0;
            for (int64_t img = 0; img < g.n; ++img)
              for (int64_t p = 0; p < ohw; ++p) acc += gy[(img * g.cout + c) * ohw + p];
            gb[c] += acc;
          },
          gy, bs->get().data());
    }
    if (!ws && !xs) return;
    if (pointwise) {
      for (int64_t i = 0; ws && i < g.n; ++i)  // dW += dy[i] · x[i]ᵀ
        detail::dense_gemm<T, B>(false, true, g.cout, kk, ohw, gy + i * g.cout * ohw, xv.data() + i * kk * ohw,
                                 ws->get().data(), T(1));
      if (xs)  // dx[i] += Wᵀ · dy[i], straight into the input gradient
        detail::dense_gemm<T, B>(true, false, kk, ohw, g.cout, wv.data(), gy, xs->get().data(), T(1), g.n, 0,
                                 g.cout * ohw, kk * ohw);
      return;
    }
    // The backend's own convolutions where it has them; what they do not take goes through im2col.
    const bool need_w = ws && !detail::backend_conv_backward_weights<T, B>(g, xv.data(), gy, ws->get().data());
    const bool need_x = xs && !detail::backend_conv_backward_data<T, B>(g, gy, wv.data(), xs->get().data());
    if (!need_w && !need_x) return;
    tensor<T, B> col(shape{chunk * kk * ohw});
    for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
      const int64_t cnt = std::min(chunk, g.n - n0);
      if (need_w) {
        detail::im2col<T, B>(g, xv.data(), n0, cnt, col.data());
        // dW += dy[i] · col[i]ᵀ, one image after another (they all add into dW).
        for (int64_t i = 0; i < cnt; ++i)
          detail::dense_gemm<T, B>(false, true, g.cout, kk, ohw, gy + (n0 + i) * g.cout * ohw, col.data() + i * kk * ohw,
                                   ws->get().data(), T(1));
      }
      if (need_x) {
        // dcol[i] = Wᵀ · dy[i], then scattered back onto the input pixels.
        detail::dense_gemm<T, B>(true, false, kk, ohw, g.cout, wv.data(), gy + n0 * g.cout * ohw, col.data(), T(0), cnt,
                                 0, g.cout * ohw, kk * ohw);
        detail::col2im_add<T, B>(g, col.data(), n0, cnt, xs->get().data());
      }
    }
  });
  return out;
}

template <class T, backend B>
var<T, B> conv2d(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias, conv2d_params prm = {}) {
  return conv2d(x, weight, &bias, prm);
}

}  // namespace mvg::ops
