// mvg/data/radon.hpp: parallel-beam CT geometry: the Radon transform (forward projection) and
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
#include <numbers>
#include <vector>

#include <Eigen/Core>

#include "mvg/core/error.hpp"
#include "mvg/data/geometry.hpp"

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
    image2d<float> sino = image2d<float>::from_shape({views_, bins_});
    const double c0 = 0.5 * static_cast<double>(n_ - 1);
    const auto N = static_cast<std::ptrdiff_t>(n_);
    const float* f = img.data();
    for (std::size_t v = 0; v < views_; ++v) {
      const double c = cos_[v], s = sin_[v];
      const bool by_row = std::abs(c) >= std::abs(s);  // the ray runs closer to the y axis: one sample per row
      for (std::size_t k = 0; k < bins_; ++k) {
        const double sk = bin_position(k);
        double acc = 0;
        if (by_row) {
          // points with x·c + y·s = sk: x = (sk − y·s)/c
          for (std::ptrdiff_t r = 0; r < N; ++r) {
            const double y = static_cast<double>(r) - c0;
            const double col = (sk - y * s) / c + c0;
            const double fl = std::floor(col);
            const auto j = static_cast<std::ptrdiff_t>(fl);
            const double w = col - fl;
            if (j >= 0 && j < N) acc += (1 - w) * f[r * N + j];
            if (j + 1 >= 0 && j + 1 < N) acc += w * f[r * N + j + 1];
          }
          sino(v, k) = static_cast<float>(acc / std::abs(c));
        } else {
          for (std::ptrdiff_t col = 0; col < N; ++col) {
            const double x = static_cast<double>(col) - c0;
            const double row = (sk - x * c) / s + c0;
            const double fl = std::floor(row);
            const auto i = static_cast<std::ptrdiff_t>(fl);
            const double w = row - fl;
            if (i >= 0 && i < N) acc += (1 - w) * f[i * N + col];
            if (i + 1 >= 0 && i + 1 < N) acc += w * f[(i + 1) * N + col];
          }
          sino(v, k) = static_cast<float>(acc / std::abs(s));
        }
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
    const auto B = static_cast<std::ptrdiff_t>(bins_);
    for (std::size_t v = 0; v < views_; ++v) {
      const float* qv = q.data() + v * bins_;
      const double c = cos_[v], s = sin_[v];
      for (std::size_t r = 0; r < n_; ++r) {
        const double y = static_cast<double>(r) - c0;
        const double t0 = -c0 * c + y * s + k0;  // detector coordinate of column 0, advancing by c per column
        float* out = &img(r, 0);
        for (std::size_t col = 0; col < n_; ++col) {
          const double t = t0 + static_cast<double>(col) * c;
          const auto i = static_cast<std::ptrdiff_t>(t);  // t ≥ 0 always: bins cover the image's diagonal
          if (i < 0 || i + 1 >= B) continue;
          const float w = static_cast<float>(t - static_cast<double>(i));
          out[col] += qv[i] + w * (qv[i + 1] - qv[i]);
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
