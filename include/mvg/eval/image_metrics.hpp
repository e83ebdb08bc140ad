// mvg/eval/image_metrics.hpp: MAE, PSNR and SSIM on [0, 1] images (SPEC §7).
// Contract: 2-D images of equal shape; data range 1. PSNR = 10·log10(1/MSE) (+inf for identical
// images). SSIM matches scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1): an 11×11 Gaussian window (σ 1.5, truncated at 3.5σ),
// K1 0.01, K2 0.03, 'reflect' borders, and the mean of the SSIM map with 5 border pixels cropped.
// Masked variants score only the pixels where mask ≠ 0 (inpainting holes); masked SSIM averages the
// full (uncropped) map over the mask. Everything is computed in double.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::eval {

namespace detail {

template <class A, class B>
void check_pair(const A& a, const B& b, const char* what) {
  MVG_CHECK(a.dimension() == 2 && b.dimension() == 2, what, ": expected 2-D images, got ", a.dimension(), " and ",
            b.dimension(), " dims");
  MVG_CHECK(a.shape()[0] == b.shape()[0] && a.shape()[1] == b.shape()[1], what, ": shapes ", a.shape()[0], "×",
            a.shape()[1], " and ", b.shape()[0], "×", b.shape()[1], " differ");
  MVG_CHECK(a.size() > 0, what, ": empty images");
}

// scipy.ndimage 'reflect' (half-sample symmetric) index.
inline std::ptrdiff_t reflect(std::ptrdiff_t i, std::ptrdiff_t n) {
  const std::ptrdiff_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

inline std::array<double, 11> ssim_kernel() {
  std::array<double, 11> w{};
  double sum = 0;
  for (int i = -5; i <= 5; ++i) sum += w[i + 5] = std::exp(-0.5 * i * i / (1.5 * 1.5));
  for (auto& v : w) v /= sum;
  return w;
}

// Separable Gaussian filter of a row-major h×w double image.
inline std::vector<double> gaussian_filter(const std::vector<double>& in, std::size_t h, std::size_t w) {
  static const auto k = ssim_kernel();
  std::vector<double> mid(in.size()), out(in.size());
  const auto H = static_cast<std::ptrdiff_t>(h), W = static_cast<std::ptrdiff_t>(w);
  for (std::ptrdiff_t r = 0; r < H; ++r)
    for (std::ptrdiff_t c = 0; c < W; ++c) {
      double acc = 0;
      for (int t = -5; t <= 5; ++t) acc += k[t + 5] * in[r * W + reflect(c + t, W)];
      mid[r * W + c] = acc;
    }
  for (std::ptrdiff_t r = 0; r < H; ++r)
    for (std::ptrdiff_t c = 0; c < W; ++c) {
      double acc = 0;
      for (int t = -5; t <= 5; ++t) acc += k[t + 5] * mid[reflect(r + t, H) * W + c];
      out[r * W + c] = acc;
    }
  return out;
}

template <class E>
std::vector<double> to_double(const E& e) {
  std::vector<double> v;
  v.reserve(e.size());
  for (auto x : e) v.push_back(static_cast<double>(x));
  return v;
}

}  // namespace detail

// The SSIM map (row-major, same shape as the images).
template <class A, class B>
std::vector<double> ssim_map(const A& a, const B& b) {
  detail::check_pair(a, b, "ssim");
  const std::size_t h = a.shape()[0], w = a.shape()[1];
  MVG_CHECK(h >= 11 && w >= 11, "ssim: images must be at least 11×11 for the 11×11 window, got ", h, "×", w);
  const auto x = detail::to_double(a), y = detail::to_double(b);
  std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
  const auto ux = detail::gaussian_filter(x, h, w), uy = detail::gaussian_filter(y, h, w);
  const auto uxx = detail::gaussian_filter(xx, h, w), uyy = detail::gaussian_filter(yy, h, w),
             uxy = detail::gaussian_filter(xy, h, w);
  constexpr double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  std::vector<double> s(x.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double vx = uxx[i] - ux[i] * ux[i], vy = uyy[i] - uy[i] * uy[i], vxy = uxy[i] - ux[i] * uy[i];
    s[i] = ((2 * ux[i] * uy[i] + c1) * (2 * vxy + c2)) / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
  }
  return s;
}

template <class A, class B>
double ssim(const A& a, const B& b) {
  const auto s = ssim_map(a, b);
  const std::size_t h = a.shape()[0], w = a.shape()[1];
  double sum = 0;
  for (std::size_t r = 5; r + 5 < h; ++r)
    for (std::size_t c = 5; c + 5 < w; ++c) sum += s[r * w + c];
  return sum / static_cast<double>((h - 10) * (w - 10));
}

template <class A, class B, class M>
double ssim(const A& a, const B& b, const M& mask) {
  detail::check_pair(a, mask, "ssim (mask)");
  const auto s = ssim_map(a, b);
  double sum = 0;
  std::size_t n = 0;
  std::size_t i = 0;
  for (auto m : mask) {
    if (m) sum += s[i], ++n;
    ++i;
  }
  return n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

namespace detail {
// Sum of |a-b| and (a-b)² over the pixels where the mask (or nothing) selects.
template <class A, class B, class F>
std::array<double, 3> error_sums(const A& a, const B& b, F selected) {
  std::array<double, 3> s{0, 0, 0};
  auto bi = b.begin();
  std::size_t i = 0;
  for (auto ai = a.begin(); ai != a.end(); ++ai, ++bi, ++i) {
    if (!selected(i)) continue;
    const double d = static_cast<double>(*ai) - static_cast<double>(*bi);
    s[0] += std::abs(d), s[1] += d * d, s[2] += 1;
  }
  return s;
}
inline double psnr_from_mse(double mse) {
  return mse > 0 ? 10.0 * std::log10(1.0 / mse) : std::numeric_limits<double>::infinity();
}
}  // namespace detail

template <class A, class B>
double mae(const A& a, const B& b) {
  detail::check_pair(a, b, "mae");
  const auto s = detail::error_sums(a, b, [](std::size_t) { return true; });
  return s[0] / s[2];
}
template <class A, class B>
double mse(const A& a, const B& b) {
  detail::check_pair(a, b, "mse");
  const auto s = detail::error_sums(a, b, [](std::size_t) { return true; });
  return s[1] / s[2];
}
template <class A, class B>
double psnr(const A& a, const B& b) {
  return detail::psnr_from_mse(mse(a, b));
}

template <class A, class B, class M>
double mae(const A& a, const B& b, const M& mask) {
  detail::check_pair(a, b, "mae"), detail::check_pair(a, mask, "mae (mask)");
  const auto s = detail::error_sums(a, b, [&](std::size_t i) { return mask.data()[i] != 0; });
  return s[2] > 0 ? s[0] / s[2] : std::numeric_limits<double>::quiet_NaN();
}
template <class A, class B, class M>
double psnr(const A& a, const B& b, const M& mask) {
  detail::check_pair(a, b, "psnr"), detail::check_pair(a, mask, "psnr (mask)");
  const auto s = detail::error_sums(a, b, [&](std::size_t i) { return mask.data()[i] != 0; });
  return s[2] > 0 ? detail::psnr_from_mse(s[1] / s[2]) : std::numeric_limits<double>::quiet_NaN();
}

// Averages per-image scores over a test set (the usual convention for PSNR/SSIM tables).
class image_scores {
public:
  template <class A, class B>
  void add(const A& prediction, const B& target) {
    mae_ += mae(prediction, target);
    psnr_ += psnr(prediction, target);
    ssim_ += ssim(prediction, target);
    ++n_;
  }
  // Scores inside the mask only (e.g. an inpainting hole); an empty mask adds nothing.
  template <class A, class B, class M>
  void add(const A& prediction, const B& target, const M& mask) {
    if (std::none_of(mask.begin(), mask.end(), [](auto m) { return m != 0; })) return;
    mae_ += mae(prediction, target, mask);
    psnr_ += psnr(prediction, target, mask);
    ssim_ += ssim(prediction, target, mask);
    ++n_;
  }
  std::size_t count() const { return n_; }
  double mean_mae() const { return n_ ? mae_ / double(n_) : std::numeric_limits<double>::quiet_NaN(); }
  double mean_psnr() const { return n_ ? psnr_ / double(n_) : std::numeric_limits<double>::quiet_NaN(); }
  double mean_ssim() const { return n_ ? ssim_ / double(n_) : std::numeric_limits<double>::quiet_NaN(); }

private:
  double mae_ = 0, psnr_ = 0, ssim_ = 0;
  std::size_t n_ = 0;
};

}  // namespace mvg::eval
