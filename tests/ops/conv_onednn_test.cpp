// The CPU backend's own bf16 convolutions (backend/cpu/onednn_conv.hpp) against a double-precision
// convolution of the bf16-rounded operands, forward and both gradients (which add into what is there).
// On a CPU without bf16 they must decline, so that ops/conv2d.hpp takes im2col; in fp32 they always do.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "mvg/ops.hpp"
#include "support/precision_scope.hpp"

using mvg::conv_args;
using mvg::cpu;
using mvg::detail::round_to_bf16;

namespace {

conv_args geometry(int64_t n, int64_t cin, int64_t h, int64_t w, int64_t cout, int64_t k, int64_t stride, int64_t pad) {
  conv_args a{n, cin, h, w, cout, k, k, stride, pad, 0, 0};
  a.oh = (h + 2 * pad - k) / stride + 1;
  a.ow = (w + 2 * pad - k) / stride + 1;
  return a;
}

std::vector<float> values(int64_t count, double phase) {
  std::vector<float> v(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[i] = float(std::sin(0.731 * double(i) + phase) * 1.5);
  return v;
}

std::vector<double> rounded(const std::vector<float>& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = round_to_bf16(v[i]);
  return r;
}

// Calls f(n, o, c, oy, ox, ky, kx, iy, ix) for every term of the convolution that lies inside the image.
template <class F>
void each_term(const conv_args& a, F f) {
  for (int64_t n = 0; n < a.n; ++n)
    for (int64_t o = 0; o < a.cout; ++o)
      for (int64_t c = 0; c < a.cin; ++c)
        for (int64_t oy = 0; oy < a.oh; ++oy)
          for (int64_t ox = 0; ox < a.ow; ++ox)
            for (int64_t ky = 0; ky < a.kh; ++ky)
              for (int64_t kx = 0; kx < a.kw; ++kx) {
                const int64_t iy = oy * a.stride - a.pad + ky, ix = ox * a.stride - a.pad + kx;
                if (iy >= 0 && iy < a.h && ix >= 0 && ix < a.w) f(n, o, c, oy, ox, ky, kx, iy, ix);
              }
}

// |got − want| within fp32 accumulation of bf16 products (terms of size ≤ 2.25 each).
void check_close(const std::vector<float>& got, const std::vector<double>& want, double terms) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
  INFO("largest error " << worst << " over sums of " << terms << " terms");
  CHECK(worst <= 2e-6 * terms + 1e-5);
}

}  // namespace

TEST_CASE("cpu convolutions in bf16 (oneDNN): forward, input and weight gradients against a double reference",
          "[ops]") {
  mvg_test::precision_scope bf16(mvg::precision::bf16);
  if (!mvg::detail::onednn_has_bf16()) {
    // No bf16 hardware here: they decline, and ops/conv2d.hpp runs im2col with the emulated products.
    const conv_args a = geometry(1, 2, 5, 5, 2, 3, 1, 1);
    std::vector<float> x(50), w(36), y(50);
    CHECK_FALSE(cpu::conv2d_forward(a, x.data(), w.data(), y.data()));
    CHECK_FALSE(cpu::conv2d_backward_data(a, y.data(), w.data(), x.data()));
    CHECK_FALSE(cpu::conv2d_backward_weights(a, x.data(), y.data(), w.data()));
    return;
  }
  for (const conv_args& a : {geometry(2, 5, 9, 7, 4, 3, 1, 1), geometry(3, 16, 12, 10, 8, 3, 2, 0),
                             geometry(2, 64, 16, 16, 64, 3, 1, 1), geometry(2, 3, 8, 8, 64, 3, 1, 1)}) {
    INFO("n " << a.n << " cin " << a.cin << " " << a.h << "x" << a.w << " cout " << a.cout << " stride " << a.stride
              << " pad " << a.pad);
    const int64_t xs = a.n * a.cin * a.h * a.w, wsz = a.cout * a.cin * a.kh * a.kw, ys = a.n * a.cout * a.oh * a.ow;
    const auto x = values(xs, 0.1), w = values(wsz, 0.7), gy = values(ys, 1.3);
    const auto xr = rounded(x), wr = rounded(w), gyr = rounded(gy);
    auto X = [&](int64_t n, int64_t c, int64_t iy, int64_t ix) { return ((n * a.cin + c) * a.h + iy) * a.w + ix; };
    auto W = [&](int64_t o, int64_t c, int64_t ky, int64_t kx) { return ((o * a.cin + c) * a.kh + ky) * a.kw + kx; };
    auto Y = [&](int64_t n, int64_t o, int64_t oy, int64_t ox) { return ((n * a.cout + o) * a.oh + oy) * a.ow + ox; };

    // Gradients start from non-zero values: the backward passes add into them.
    std::vector<double> want_y(ys, 0.0), want_gx(xs), want_gw(wsz);
    const auto gx0 = values(xs, 2.1), gw0 = values(wsz, 2.9);
    for (int64_t i = 0; i < xs; ++i) want_gx[i] = gx0[i];
    for (int64_t i = 0; i < wsz; ++i) want_gw[i] = gw0[i];
    each_term(a, [&](int64_t n, int64_t o, int64_t c, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t iy,
                     int64_t ix) {
      want_y[Y(n, o, oy, ox)] += xr[X(n, c, iy, ix)] * wr[W(o, c, ky, kx)];
      want_gx[X(n, c, iy, ix)] += gyr[Y(n, o, oy, ox)] * wr[W(o, c, ky, kx)];
      want_gw[W(o, c, ky, kx)] += gyr[Y(n, o, oy, ox)] * xr[X(n, c, iy, ix)];
    });

    std::vector<float> y(ys, 123.f), gx = gx0, gw = gw0;  // y's old values must not survive
    REQUIRE(cpu::conv2d_forward(a, x.data(), w.data(), y.data()));
    REQUIRE(cpu::conv2d_backward_data(a, gy.data(), w.data(), gx.data()));
    REQUIRE(cpu::conv2d_backward_weights(a, x.data(), gy.data(), gw.data()));
    check_close(y, want_y, double(a.cin * a.kh * a.kw));
    check_close(gx, want_gx, double(a.cout * a.kh * a.kw));
    check_close(gw, want_gw, double(a.n * a.oh * a.ow));
  }
}

TEST_CASE("cpu convolutions of their own are bf16 only: in fp32 and in double the backend declines", "[ops]") {
  const conv_args a = geometry(1, 2, 5, 5, 2, 3, 1, 1);
  std::vector<float> x(50, 1.f), w(36, 1.f), y(50, 0.f);
  std::vector<double> xd(50, 1.0), wd(36, 1.0), yd(50, 0.0);
  {
    mvg_test::precision_scope fp32(mvg::precision::fp32);
    CHECK_FALSE(cpu::conv2d_forward(a, x.data(), w.data(), y.data()));
    CHECK_FALSE(cpu::conv2d_backward_data(a, y.data(), w.data(), x.data()));
    CHECK_FALSE(cpu::conv2d_backward_weights(a, x.data(), y.data(), w.data()));
  }
  mvg_test::precision_scope bf16(mvg::precision::bf16);
  CHECK_FALSE(cpu::conv2d_forward(a, xd.data(), wd.data(), yd.data()));
}
