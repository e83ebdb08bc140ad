// AdamW against values computed by hand, the decay mask, the schedule and gradient clipping.
#include <catch2/catch.hpp>
#include <cmath>

#include "support/backend_under_test.hpp"
#include "mvg/optim/adamw.hpp"
#include "mvg/optim/lr_schedule.hpp"

using namespace mvg;

TEST_CASE("AdamW update equals the hand-computed formula, decay only where declared", "[optim]") {
  param_set<double, test_backend> ps;
  ps.declare("w", {2}, init_kind::zeros, true);
  ps.declare("b", {1}, init_kind::zeros, false);
  ps.allocate();
  ps.values().copy_from(tensor<double, test_backend>::from_host({3}, {1.0, -2.0, 0.5}));
  optim::adamw<double, test_backend> opt(ps, {0.1, 0.9, 0.999, 1e-8, 0.05});
  const std::vector<std::vector<double>> grads = {{0.3, -0.2, 0.1}, {-0.1, 0.4, 0.2}};
  std::vector<double> p = {1.0, -2.0, 0.5}, m(3, 0), v(3, 0);
  for (int t = 1; t <= 2; ++t) {
    ps.grads().copy_from(tensor<double, test_backend>::from_host({3}, grads[t - 1]));
    opt.step(0.1);
    for (int i = 0; i < 3; ++i) {
      const double g = grads[t - 1][i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
      if (i < 2) p[i] *= 1 - 0.1 * 0.05;
      p[i] -= 0.1 * mh / (std::sqrt(vh) + 1e-8);
    }
    const auto got = ps.values().to_host();
    for (int i = 0; i < 3; ++i) REQUIRE(got[i] == Approx(p[i]).epsilon(1e-12));
  }
  // First step moves every parameter by ≈ lr (Adam's unit step), plus decay on the weights only.
  REQUIRE(opt.steps() == 2);
}

TEST_CASE("warm-up then cosine schedule", "[optim]") {
  optim::warmup_cosine s{1e-3, 10, 110, 0.0};
  REQUIRE(s(0) == Approx(1e-4));
  REQUIRE(s(9) == Approx(1e-3));
  REQUIRE(s(10) == Approx(1e-3));
  REQUIRE(s(60) == Approx(0.5e-3));
  REQUIRE(s(110) == Approx(0.0).margin(1e-12));
  for (int i = 10; i < 109; ++i) REQUIRE(s(i + 1) <= s(i));
}

TEST_CASE("gradient clipping scales to the max norm and reports the norm", "[optim]") {
  param_set<float, test_backend> ps;
  ps.declare("w", {2}, init_kind::zeros, true);
  ps.allocate();
  ps.grads().copy_from(tensor<float, test_backend>::from_host({2}, {3.f, 4.f}));
  REQUIRE(optim::clip_grad_norm(ps, 1.0) == Approx(5.0));
  const auto g = ps.grads().to_host();
  REQUIRE(g[0] == Approx(0.6f).epsilon(1e-5));
  REQUIRE(g[1] == Approx(0.8f).epsilon(1e-5));
  REQUIRE(optim::clip_grad_norm(ps, 10.0) == Approx(1.0).epsilon(1e-5));  // under the limit: untouched
}

TEST_CASE("parameter init is seeded, timm-style and reproducible", "[optim]") {
  auto make = [](uint64_t seed) {
    param_set<float, test_backend> ps;
    ps.declare("w", {1000}, init_kind::trunc_normal, true);
    ps.declare("ln.weight", {4}, init_kind::ones, false);
    ps.declare("b", {4}, init_kind::zeros, false);
    ps.allocate();
    ps.initialize(seed);
    return ps.values().to_host();
  };
  const auto a = make(5), b = make(5), c = make(6);
  REQUIRE(a == b);
  REQUIRE(a != c);
  double s2 = 0;
  for (int i = 0; i < 1000; ++i) s2 += a[i] * a[i];
  REQUIRE(std::sqrt(s2 / 1000) == Approx(0.02).epsilon(0.1));
  for (int i = 1000; i < 1004; ++i) REQUIRE(a[i] == 1.f);
  for (int i = 1004; i < 1008; ++i) REQUIRE(a[i] == 0.f);
}
