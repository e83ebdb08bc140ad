// tests/support/gradcheck.hpp: the one generic gradient checker every op and layer test uses.
// Central differences in double, a random projection r of the output (checks <r, f(x)>), a
// step-size sweep (best of several h), relative error ‖a − n‖/‖a + n‖ plus max-abs. Gradient
// buffers start filled with a sentinel so the check also proves backward *adds* into them.
// Inputs are perturbed one element at a time through the host (B::upload of that element): on a GPU
// backend the tensors live in device memory, which host code cannot touch (backend/device_ptr.hpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "mvg/autograd/tape.hpp"
#include "support/backend_under_test.hpp"
#include "mvg/core/random.hpp"

namespace mvg::test {

using dtensor = tensor<double, test_backend>;
using dvar = var<double, test_backend>;

struct gradcheck_result {
  double rel_error = 0, max_abs = 0;
  double min_analytic_norm = 1e300;  // smallest ‖analytic gradient‖ over inputs: 0 means nothing was tested
  std::size_t input = 0;             // the worst input
};

inline dtensor random_tensor(const shape& s, uint64_t seed, double scale = 1.0) {
  rng g(seed);
  std::vector<double> v(static_cast<size_t>(s.numel()));
  for (auto& x : v) x = scale * g.normal();
  return dtensor::from_host(s, v);
}

// f builds the output from vars of `inputs`; only inputs with wrt[i] are differentiated.
inline gradcheck_result gradcheck(const std::function<dvar(const std::vector<dvar>&)>& f,
                                  const std::vector<dtensor>& inputs, std::vector<bool> wrt = {},
                                  uint64_t seed = 7) {
  if (wrt.empty()) wrt.assign(inputs.size(), true);
  constexpr double sentinel = 3.25;
  std::vector<dvar> vars;
  std::vector<dtensor> grads;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (wrt[i]) {
      grads.push_back(dtensor::full(inputs[i].shape(), sentinel));
      vars.emplace_back(inputs[i], grads.back());
    } else {
      grads.emplace_back();
      vars.emplace_back(inputs[i], false);
    }
  }
  autograd::current_tape().clear();
  dvar out = f(vars);
  const dtensor proj = random_tensor(out.shape(), seed);
  autograd::backward(out, &proj);

  auto objective = [&](const std::vector<dvar>& xs) {
    autograd::no_grad guard;
    const auto y = f(xs).value().to_host();
    const auto r = proj.to_host();
    double s = 0;
    for (std::size_t k = 0; k < y.size(); ++k) s += y[k] * r[k];
    return s;
  };

  gradcheck_result worst;
  worst.rel_error = -1;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!wrt[i]) continue;
    auto analytic = grads[i].to_host();
    for (auto& a : analytic) a -= sentinel;
    double best_rel = 1e300, best_abs = 0, norm_a = 0;
    for (double a : analytic) norm_a += a * a;
    norm_a = std::sqrt(norm_a);
    for (double h : {1e-3, 1e-4, 1e-5, 1e-6}) {
      std::vector<dvar> xs;
      std::vector<dtensor> copies;
      for (std::size_t j = 0; j < inputs.size(); ++j) {
        copies.push_back(inputs[j].clone());
        xs.emplace_back(copies.back(), false);
      }
      const std::vector<double> values = copies[i].to_host();
      auto set = [&](int64_t k, double v) { test_backend::upload(&v, copies[i].data() + k, 1); };
      double diff2 = 0, sum2 = 0, max_abs = 0;
      for (int64_t k = 0; k < copies[i].numel(); ++k) {
        const double keep = values[static_cast<size_t>(k)];
        set(k, keep + h);
        const double fp = objective(xs);
        set(k, keep - h);
        const double fm = objective(xs);
        set(k, keep);
        const double num = (fp - fm) / (2 * h);
        diff2 += (analytic[k] - num) * (analytic[k] - num);
        sum2 += (analytic[k] + num) * (analytic[k] + num);
        max_abs = std::max(max_abs, std::abs(analytic[k] - num));
      }
      const double rel = std::sqrt(diff2) / std::max(std::sqrt(sum2), 1e-30);
      if (rel < best_rel) {
        best_rel = rel;
        best_abs = max_abs;
      }
    }
    worst.min_analytic_norm = std::min(worst.min_analytic_norm, norm_a);
    if (best_rel > worst.rel_error) {
      worst.rel_error = best_rel;
      worst.max_abs = best_abs;
      worst.input = i;
    }
  }
  return worst;
}

}  // namespace mvg::test

// Catch2 helper: a passing check needs a small error AND a non-zero gradient for every input.
#define MVG_REQUIRE_GRADCHECK(result, tol)                 \
  do {                                                     \
    const auto r_ = (result);                              \
    INFO("worst input " << r_.input << ": rel " << r_.rel_error << ", max-abs " << r_.max_abs \
                        << ", min |grad| " << r_.min_analytic_norm); \
    REQUIRE(r_.min_analytic_norm > 1e-8);                  \
    REQUIRE(r_.rel_error < (tol));                         \
  } while (0)
