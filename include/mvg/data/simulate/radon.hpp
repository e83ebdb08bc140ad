// mvg/data/simulate/radon.hpp: parallel-beam CT geometry: the Radon transform (forward projection) and
// ramp-filtered back-projection (FBP), our own implementation for the low-dose CT task (D1).
// Contract: an n×n image of pixel side 1, centred at ((n−1)/2, (n−1)/2), rows pointing down (y = row −
// centre, x = col − centre). View v has angle θ_v = v·π/views (views over 180°); detector bin k sits at
// s_k = k − (bins−1)/2 (bin width = one pixel, bins = odd and ≥ n·√2 + 2, so every ray through the image
// is covered). The forward projection is Joseph's method (one linear interpolation per row or column
// crossed, scaled by the path length), so radon(image)(v, k) ≈ ∫ f along x·cosθ + y·sinθ = s_k in pixel
// units. fbp applies the band-limited ramp filter of Kak & Slaney (h(0) = 1/4, h(odd n) = −1/(π²n²),
// spatial convolution over the whole detector) and back-projects with linear interpolation, scaled by
// π/views; fbp(radon(f)) ≈ f. Multiply by the pixel side (mm) to get physical line integrals.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

#include <Eigen/Core>

#include "mvg/core/error.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::data {

class parallel_beam {
public:
  parallel_beam(std::size_t n, std::size_t views = 360) : n_(n), views_(views) {
    MVG_CHECK(n >= 4 && n <= 4096, "parallel_beam: image side ", n, " outside 4..4096");
    MVG_CHECK(views >= 1 && views <= 100000, "parallel_beam: ", views, " views outside 1..100000");
    bins_ = static_cast<std::size_t>(std::ceil(static_cast<double>(n) * std::numbers::sqrt2)) + 2;
    if (bins_ % 2 == 0) ++bins_;
    cos_.resize(views), sin_.resize(views);
    for (std::size_t v = 0; v < views; ++v) {
      const double th = static_cast<double>(v) * std::numbers::pi / static_cast<double>(views);
      cos_[v] = std::cos(th), sin_[v] = std::sin(th);
    }
    // Kak & Slaney's discrete ramp, d = 1, over every lag the detector can hold.
    ramp_.assign(2 * bins_ - 1, 0.0);
    for (std::size_t i = 0; i < ramp_.size(); ++i) {
      const auto lag = static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(bins_ - 1);
      if (lag == 0) ramp_[i] = 0.25;
      else if (lag % 2 != 0) ramp_[i] = -1.0 / (std::numbers::pi * std::numbers::pi * static_cast<double>(lag * lag));
    }
    toeplitz_.resize(static_cast<Eigen::Index>(bins_), static_cast<Eigen::Index>(bins_));
    for (std::size_t j = 0; j < bins_; ++j)  // q[k] = Σ_j p[j]·h[k − j]
      for (std::size_t k = 0; k < bins_; ++k)
        toeplitz_(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(k)) = static_cast<float>(ramp_[k + bins_ - 1 - j]);
  }

  std::size_t size() const { return n_; }
  std::size_t views() const { return views_; }
  std::size_t bins() const { return bins_; }
  double angle(std::size_t v) const { return static_cast<double>(v) * std::numbers::pi / static_cast<double>(views_); }
  double bin_position(std::size_t k) const { return static_cast<double>(k) - 0.5 * static_cast<double>(bins_ - 1); }

  // (views, bins) line integrals of an n×n image, in pixel units.
  image2d<float> radon(const image2d<float>& img) const {
    MVG_CHECK(img.shape()[0] == n_ && img.shape()[1] == n_, "radon: expected a ", n_, "×", n_, " image, got ",
              img.shape()[0], "×", img.shape()[1]);
    // Zero-padded copies (2 px each side) of the image and its transpose: rays closer to the y axis take
    // one sample per row of the image, the others one per row of the transpose, with the same loop.
    const std::size_t P = n_ + 4;
    std::vector<float> pad(P * P, 0.0f), padt(P * P, 0.0f);
    for (std::size_t r = 0; r < n_; ++r)
      for (std::size_t c = 0; c < n_; ++c) pad[(r + 2) * P + c + 2] = padt[(c + 2) * P + r + 2] = img(r, c);
    image2d<float> sino = image2d<float>::from_shape({views_, bins_});
    const double c0 = 0.5 * static_cast<double>(n_ - 1), N = static_cast<double>(n_);
    for (std::size_t v = 0; v < views_; ++v) {
      const double c = cos_[v], s = sin_[v];
      const bool by_row = std::abs(c) >= std::abs(s);
      // sample i of the ray at bin sk lies at (padded) position x = A + i·B along the row i (+2)
      const double along = by_row ? c : s, across = by_row ? s : c;
      const float* src = by_row ? pad.data() : padt.data();
      const double B = -across / along, len = 1.0 / std::abs(along);
      for (std::size_t k = 0; k < bins_; ++k) {
        const double A = (bin_position(k) + c0 * across) / along + c0 + 2;
        // keep samples with x in [0.5, N + 2.5]: the rest only touch the zero padding
        double lo = 0, hi = N - 1;
        if (std::abs(B) < 1e-12) {
          if (A < 0.5 || A > N + 2.5) hi = -1;
        } else {
          double t0 = (0.5 - A) / B, t1 = (N + 2.5 - A) / B;
          if (t0 > t1) std::swap(t0, t1);
          lo = std::max(lo, std::ceil(t0)), hi = std::min(hi, std::floor(t1));
        }
        float acc = 0;
        const auto Af = static_cast<float>(A), Bf = static_cast<float>(B);
        for (auto i = static_cast<std::ptrdiff_t>(lo); i <= static_cast<std::ptrdiff_t>(hi); ++i) {
          const float x = Af + static_cast<float>(i) * Bf;
          const auto j = static_cast<std::int32_t>(x);
          const float w = x - static_cast<float>(j);
          const float* row = src + (static_cast<std::size_t>(i) + 2) * P;
          acc += row[j] + w * (row[j + 1] - row[j]);
        }
        sino(v, k) = static_cast<float>(acc * len);
      }
    }
    return sino;
  }

  // Ramp-filtered back-projection of a (views, bins) sinogram to an n×n image.
  image2d<float> fbp(const image2d<float>& sino) const {
    MVG_CHECK(sino.shape()[0] == views_ && sino.shape()[1] == bins_, "fbp: expected a ", views_, "×", bins_,
              " sinogram, got ", sino.shape()[0], "×", sino.shape()[1]);
    // q = p ⊛ h for every view at once: a (views × bins)·(bins × bins) product with the Toeplitz ramp.
    using rowmat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const rowmat> p(sino.data(), static_cast<Eigen::Index>(views_), static_cast<Eigen::Index>(bins_));
    const rowmat q = p * toeplitz_;
    image2d<float> img = image2d<float>::from_shape({n_, n_});
    std::fill(img.begin(), img.end(), 0.0f);
    const double c0 = 0.5 * static_cast<double>(n_ - 1), k0 = 0.5 * static_cast<double>(bins_ - 1);
    for (std::size_t v = 0; v < views_; ++v) {
      const float* qv = q.data() + v * bins_;
      const double c = cos_[v], s = sin_[v];
      for (std::size_t r = 0; r < n_; ++r) {
        const double y = static_cast<double>(r) - c0;
        const double t0 = -c0 * c + y * s + k0;  // detector coordinate of column 0, advancing by c per column
        const auto cf = static_cast<float>(c);
        float* out = &img(r, 0);
        for (std::size_t col = 0; col < n_; ++col) {
          // 1 ≤ t ≤ bins − 2 always: the bins cover the image's diagonal with a margin
          const float t = static_cast<float>(t0) + static_cast<float>(col) * cf;
          const auto i = static_cast<std::int32_t>(t);
          const float w = t - static_cast<float>(i), a = qv[i];
          out[col] += a + w * (qv[i + 1] - a);
        }
      }
    }
    const auto scale = static_cast<float>(std::numbers::pi / static_cast<double>(views_));
    for (auto& x : img) x *= scale;
    return img;
  }

private:
  std::size_t n_, views_, bins_;
  std::vector<double> cos_, sin_, ramp_;
  Eigen::MatrixXf toeplitz_;
};

}  // namespace mvg::data
