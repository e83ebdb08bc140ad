// The parallel-beam Radon transform and FBP of D1 against analytic results, and the noise models.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "mvg/data/simulate/noise.hpp"
#include "mvg/data/simulate/radon.hpp"

using namespace mvg::data;

namespace {

// An anti-aliased (4×4 supersampled) ellipse sum: (cx, cy, a, b, angle, value) in pixels.
struct ellipse {
  double cx, cy, a, b, phi, value;
};
image2d<float> phantom(std::size_t n, const std::vector<ellipse>& es) {
  image2d<float> img = image2d<float>::from_shape({n, n});
  const double c0 = 0.5 * static_cast<double>(n - 1);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      double v = 0;
      for (int sy = 0; sy < 4; ++sy)
        for (int sx = 0; sx < 4; ++sx) {
          const double y = static_cast<double>(r) - c0 + (sy + 0.5) / 4 - 0.5;
          const double x = static_cast<double>(c) - c0 + (sx + 0.5) / 4 - 0.5;
          for (const auto& e : es) {
            const double dx = x - e.cx, dy = y - e.cy, cp = std::cos(e.phi), sp = std::sin(e.phi);
            const double u = (dx * cp + dy * sp) / e.a, w = (-dx * sp + dy * cp) / e.b;
            if (u * u + w * w <= 1) v += e.value / 16;
          }
        }
      img(r, c) = static_cast<float>(v);
    }
  return img;
}

}  // namespace

TEST_CASE("Radon transform of a disk is the chord length 2·sqrt(r²−s²)", "[data][radon]") {
  const std::size_t n = 128;
  const double radius = 40;
  const parallel_beam geo(n, 180);
  CHECK(geo.bins() % 2 == 1);
  CHECK(static_cast<double>(geo.bins()) >= static_cast<double>(n) * std::numbers::sqrt2);
  const auto sino = geo.radon(phantom(n, {{0, 0, radius, radius, 0, 1}}));
  // Joseph's interpolation blurs the rim by about a pixel, where the chord's slope is infinite: compare
  // pointwise up to 2 px inside the rim, and the mass (the disk's area) over every view.
  double max_err = 0, sq = 0, peak = 0, worst_mass = 0;
  std::size_t count = 0;
  for (std::size_t v = 0; v < geo.views(); ++v) {
    double mass = 0;
    for (std::size_t k = 0; k < geo.bins(); ++k) {
      const double s = geo.bin_position(k);
      mass += sino(v, k);
      peak = std::max(peak, static_cast<double>(sino(v, k)));
      if (std::abs(s) > radius - 2 && std::abs(s) < radius + 2) continue;
      const double truth = std::abs(s) < radius ? 2 * std::sqrt(radius * radius - s * s) : 0;
      const double err = std::abs(sino(v, k) - truth);
      max_err = std::max(max_err, err), sq += err * err, ++count;
    }
    worst_mass = std::max(worst_mass, std::abs(mass / (std::numbers::pi * radius * radius) - 1));
  }
  INFO("max error " << max_err << " px, rms " << std::sqrt(sq / count) << " px, peak " << peak
                    << ", worst relative mass error " << worst_mass);
  CHECK(peak == Approx(2 * radius).epsilon(0.01));
  CHECK(std::sqrt(sq / count) < 0.1);
  CHECK(max_err < 1.0);  // ≤ 1.25% of the diameter
  CHECK(worst_mass < 0.005);
}

TEST_CASE("FBP of the Radon transform reconstructs a phantom", "[data][radon]") {
  const std::size_t n = 128;
  // a Shepp–Logan-like head: skull, brain, three inner structures (values in μ per pixel)
  const auto img = phantom(n, {{0, 0, 55, 45, 0, 1.0},
                               {0, 0, 50, 40, 0, -0.8},
                               {-15, -5, 12, 20, 0.3, 0.3},
                               {18, 8, 8, 14, -0.4, 0.2},
                               {0, 25, 6, 6, 0, 0.4}});
  const parallel_beam geo(n, 360);
  const auto rec = geo.fbp(geo.radon(img));
  double err = 0, ref = 0, mean_err = 0;
  std::size_t count = 0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      const double d = rec(r, c) - img(r, c);
      err += d * d, ref += img(r, c) * img(r, c), mean_err += d, ++count;
    }
  const double rel = std::sqrt(err / ref);
  INFO("relative RMSE " << rel << ", mean error " << mean_err / count);
  CHECK(rel < 0.12);
  CHECK(std::abs(mean_err / count) < 0.005);
  // away from the edges the reconstruction is close pixel by pixel (brain interior value 0.2)
  const std::size_t c0 = n / 2;
  CHECK(rec(c0 - 30, c0) == Approx(img(c0 - 30, c0)).margin(0.03));
  CHECK(rec(c0 + 5, c0 + 30) == Approx(img(c0 + 5, c0 + 30)).margin(0.03));
  CHECK_THROWS_AS(geo.fbp(image2d<float>::from_shape({10, 10})), mvg::error);
  CHECK_THROWS_AS(geo.radon(image2d<float>::from_shape({64, 64})), mvg::error);
}

TEST_CASE("Poisson draws have the model's mean and variance", "[data][noise]") {
  for (const double lambda : {0.7, 4.0, 12.0, 150.0, 4300.0, 2e5}) {
    mvg::rng g(static_cast<std::uint64_t>(lambda * 10) + 1);
    const int n = 40000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<double>(poisson(g, lambda));
      s += k, s2 += k * k;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    INFO("λ " << lambda << ": mean " << mean << ", variance " << var);
    CHECK(std::abs(mean - lambda) < 4 * std::sqrt(lambda / n));
    CHECK(var == Approx(lambda).epsilon(0.05));
  }
  mvg::rng g(1);
  CHECK(poisson(g, 0) == 0);
  CHECK_THROWS_AS(poisson(g, -1), mvg::error);
}

TEST_CASE("Rician magnitudes have the analytic Rician mean", "[data][noise]") {
  CHECK(rician_mean(0, 0.1) == Approx(0.1 * std::sqrt(std::numbers::pi / 2)));
  CHECK(rician_mean(10, 0.1) == Approx(10.0005).epsilon(1e-6));
  // the series and the large-SNR branch agree where they meet
  CHECK(rician_mean(19.99, 1) == Approx(std::sqrt(19.99 * 19.99 + 1)).epsilon(1e-5));
  for (const double sigma : {0.03, 0.09, 0.3})
    for (const double nu : {0.0, 0.1, 0.5}) {
      image2d<float> x = image2d<float>::from_shape({200, 200});
      std::fill(x.begin(), x.end(), static_cast<float>(nu));
      mvg::rng g(static_cast<std::uint64_t>(sigma * 1000 + nu * 10));
      const auto m = add_rician(x, sigma, g);
      double s = 0, s2 = 0;
      for (auto v : m) s += v, s2 += static_cast<double>(v) * v;
      const double mean = s / m.size(), sd = std::sqrt(s2 / m.size() - mean * mean);
      INFO("σ " << sigma << ", ν " << nu << ": mean " << mean << " vs " << rician_mean(nu, sigma));
      CHECK(std::abs(mean - rician_mean(nu, sigma)) < 4 * sd / std::sqrt(static_cast<double>(m.size())));
      // E[m²] = ν² + 2σ² exactly
      CHECK(s2 / m.size() == Approx(nu * nu + 2 * sigma * sigma).epsilon(0.02));
    }
}

TEST_CASE("low-dose CT counts follow Poisson(I0·e^-p) + N(0, 5²)", "[data][noise]") {
  // A flat sinogram p: p̂ = −ln(N/I0) has mean ≈ p and variance ≈ (λ + 25)/λ² with λ = I0·e^-p.
  image2d<float> p = image2d<float>::from_shape({100, 400});
  std::fill(p.begin(), p.end(), 3.0f);
  for (const auto& dose : {normal_dose, quarter_dose}) {
    mvg::rng g(3);
    const auto q = noisy_sinogram(p, dose, g);
    double s = 0, s2 = 0;
    for (auto v : q) s += v, s2 += static_cast<double>(v) * v;
    const double mean = s / q.size(), var = s2 / q.size() - mean * mean;
    const double lambda = dose.i0 * std::exp(-3.0), model = (lambda + 25) / (lambda * lambda);
    INFO("I0 " << dose.i0 << ": mean " << mean << ", variance " << var << " vs " << model);
    CHECK(mean == Approx(3.0).margin(1e-3));
    CHECK(var == Approx(model).epsilon(0.05));
  }
  // a zero-attenuation water cylinder comes back at 0 HU in the noiseless reconstruction
  const parallel_beam geo(64, 360);
  image2d<float> hu = image2d<float>::from_shape({64, 64});
  std::fill(hu.begin(), hu.end(), -1000.0f);
  for (std::size_t r = 0; r < 64; ++r)
    for (std::size_t c = 0; c < 64; ++c)
      if (std::hypot(r - 31.5, c - 31.5) < 25) hu(r, c) = 0;
  mvg::rng g(5);
  const auto pair = simulate_low_dose_ct(geo, hu, 2.0, normal_dose, g);
  CHECK(pair.clean_hu(32, 32) == Approx(0).margin(15));
  CHECK(pair.clean_hu(2, 2) == Approx(-1000).margin(30));
}
