// mvg/data/simulate/noise.hpp: the noise models of shared/DATA.md's denoising tasks.
// Contract: every draw comes from a caller's seeded mvg::rng (same seed → same image on every platform).
//  - poisson(g, λ): exact Poisson draws (multiplication for λ < 10, Hörmann's PTRS rejection otherwise,
//    the algorithm numpy uses).
//  - low-dose CT (D1): HU → μ = 0.0192 mm⁻¹·(1 + HU/1000), clamped ≥ 0; parallel-beam line integrals p
//    (360 views over 180°); counts N = Poisson(I0·e^(−p)) + N(0, σ_e²) with σ_e = 5, N ≥ 1; p̂ = −ln(N/I0);
//    ramp FBP back to HU. The clean target is the FBP of the noiseless sinogram, so input and target
//    share the reconstruction's blur and differ only by noise.
//  - Rician MRI noise (D2): m = √((x + n₁)² + n₂²), n₁, n₂ ~ N(0, σ²); rician_mean is the analytic mean.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/data/simulate/radon.hpp"

namespace mvg::data {

inline std::uint64_t poisson(rng& g, double lambda) {
  MVG_CHECK(lambda >= 0 && std::isfinite(lambda), "poisson: rate ", lambda, " must be finite and ≥ 0");
  if (lambda == 0) return 0;
  if (lambda < 10) {
    const double limit = std::exp(-lambda);
    std::uint64_t k = 0;
    for (double prod = g.uniform(); prod > limit; prod *= g.uniform()) ++k;
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random variables", 1993.
  const double slam = std::sqrt(lambda), loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = g.uniform() - 0.5, v = g.uniform(), us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -lambda + k * loglam - std::lgamma(k + 1))
      return static_cast<std::uint64_t>(k);
  }
}

// ---- low-dose CT (D1) ----

struct ct_dose {
  double i0 = 2e5;                // incident photons per detector bin
  double electronic_sigma = 5;    // additive Gaussian (electronic) noise on the counts
};
inline constexpr double mu_water_per_mm = 0.0192;
inline constexpr ct_dose normal_dose{2e5, 5}, quarter_dose{5e4, 5};

inline float hu_to_mu(float hu) { return std::max(0.0f, static_cast<float>(mu_water_per_mm * (1.0 + hu / 1000.0))); }
inline float mu_to_hu(float mu) { return static_cast<float>((mu / mu_water_per_mm - 1.0) * 1000.0); }

// Noiseless line integrals p (dimensionless) of an n×n HU image with square pixels of pixel_mm.
inline image2d<float> ct_sinogram(const parallel_beam& geo, const image2d<float>& hu, double pixel_mm) {
  image2d<float> mu = hu;
  for (auto& x : mu) x = static_cast<float>(hu_to_mu(x) * pixel_mm);  // per pixel
  return geo.radon(mu);
}

// p̂ = −ln(N/I0) with N = Poisson(I0·e^(−p)) + N(0, σ_e²), N ≥ 1.
inline image2d<float> noisy_sinogram(const image2d<float>& p, const ct_dose& dose, rng& g) {
  MVG_CHECK(dose.i0 > 1 && dose.electronic_sigma >= 0, "noisy_sinogram: need I0 > 1 and σ_e ≥ 0");
  image2d<float> out = p;
  for (auto& x : out) {
    const double lambda = dose.i0 * std::exp(-static_cast<double>(x));
    const double n = std::max(1.0, static_cast<double>(poisson(g, lambda)) + g.normal(0, dose.electronic_sigma));
    x = static_cast<float>(-std::log(n / dose.i0));
  }
  return out;
}

// FBP of line integrals back to HU.
inline image2d<float> ct_reconstruct(const parallel_beam& geo, const image2d<float>& p, double pixel_mm) {
  image2d<float> img = geo.fbp(p);
  for (auto& x : img) x = mu_to_hu(static_cast<float>(x / pixel_mm));
  return img;
}

struct low_dose_pair {
  image2d<float> noisy_hu, clean_hu;  // FBP of the noisy and of the noiseless sinogram
};

inline low_dose_pair simulate_low_dose_ct(const parallel_beam& geo, const image2d<float>& hu, double pixel_mm,
                                          const ct_dose& dose, rng& g) {
  const image2d<float> p = ct_sinogram(geo, hu, pixel_mm);
  return {ct_reconstruct(geo, noisy_sinogram(p, dose, g), pixel_mm), ct_reconstruct(geo, p, pixel_mm)};
}

// ---- Rician MRI noise (D2) ----

template <class T>
image2d<T> add_rician(const image2d<T>& x, double sigma, rng& g) {
  MVG_CHECK(sigma >= 0 && std::isfinite(sigma), "add_rician: σ ", sigma, " must be finite and ≥ 0");
  image2d<T> out = x;
  for (auto& v : out) {
    const double a = static_cast<double>(v) + g.normal(0, sigma), b = g.normal(0, sigma);
    v = static_cast<T>(std::sqrt(a * a + b * b));
  }
  return out;
}

// E[m] = σ·√(π/2)·L_{1/2}(−ν²/2σ²), L_{1/2}(x) = e^{x/2}[(1 − x)I₀(−x/2) − x·I₁(−x/2)]; for ν/σ > 20 the
// large-SNR expansion √(ν² + σ²) is used (relative error < 1e-6 there).
inline double rician_mean(double nu, double sigma) {
  MVG_CHECK(sigma > 0, "rician_mean: σ must be positive");
  const double snr = std::abs(nu) / sigma;
  if (snr > 20) return std::sqrt(nu * nu + sigma * sigma);
  const double x = -nu * nu / (2 * sigma * sigma), half = -x / 2;
  const double lag = std::exp(x / 2) * ((1 - x) * std::cyl_bessel_i(0.0, half) - x * std::cyl_bessel_i(1.0, half));
  return sigma * std::sqrt(std::numbers::pi / 2) * lag;
}

}  // namespace mvg::data
