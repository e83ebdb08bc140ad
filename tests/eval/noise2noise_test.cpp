// The corrected D3 score: MSE(f(x1), x2) − ½·var(x1 − x2) estimates the MSE against the clean signal.
#include <catch2/catch.hpp>

#include <cmath>

#include <xtensor/xtensor.hpp>

#include "mvg/core/random.hpp"
#include "mvg/eval/noise2noise.hpp"

TEST_CASE("noise2noise corrected MSE recovers the clean-target MSE", "[eval][noise2noise]") {
  const std::size_t n = 256;
  const double sigma = 0.05;
  mvg::rng g(7);
  xt::xtensor<float, 2> clean = xt::xtensor<float, 2>::from_shape({n, n}), x1 = clean, x2 = clean, half = clean;
  xt::xtensor<std::uint8_t, 2> mask = xt::xtensor<std::uint8_t, 2>::from_shape({n, n});
  for (std::size_t i = 0; i < clean.size(); ++i) {
    clean.data()[i] = static_cast<float>(0.5 + 0.3 * std::sin(0.05 * static_cast<double>(i % n)));
    x1.data()[i] = static_cast<float>(clean.data()[i] + g.normal(0, sigma));
    x2.data()[i] = static_cast<float>(clean.data()[i] + g.normal(0, sigma));
    half.data()[i] = 0.5f * (x1.data()[i] + clean.data()[i]);  // a denoiser that halves the noise
    mask.data()[i] = (i / n) > 20;
  }
  const double s2 = sigma * sigma;
  // the perfect denoiser scores ≈ 0, the identity ≈ σ², the half denoiser ≈ σ²/4
  CHECK(mvg::eval::noise2noise_corrected_mse(clean, x1, x2, mask) == Approx(0.0).margin(0.03 * s2));
  CHECK(mvg::eval::noise2noise_corrected_mse(x1, x1, x2, mask) == Approx(s2).epsilon(0.03));
  CHECK(mvg::eval::noise2noise_corrected_mse(half, x1, x2, mask) == Approx(s2 / 4).epsilon(0.12));
  mvg::eval::noise2noise_score acc;
  acc.add(x1, x1, x2, mask);
  CHECK(acc.sigma2_hat() == Approx(s2).epsilon(0.03));
  CHECK(acc.pixels() == (n - 21) * n);
  xt::xtensor<std::uint8_t, 2> none = xt::zeros<std::uint8_t>({n, n});
  CHECK_THROWS_AS(mvg::eval::noise2noise_corrected_mse(x1, x1, x2, none), mvg::error);
}
