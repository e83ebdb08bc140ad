// Per-parameter learning-rate multipliers: the stretched AdamW update of a matched parameter equals
// AdamW's update at factor·lr, the others are untouched, and patterns that match nothing are refused.
#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/optim/adamw.hpp"
#include "mvg/optim/lr_scale.hpp"

using namespace mvg;

namespace {
using params = param_set<double, test_backend>;
void two_params(params& ps) {
  ps.declare("blocks.0.attn.qkv.weight", {2}, init_kind::zeros, true);
  ps.declare("blocks.0.mlp.fc1.bias", {1}, init_kind::zeros, false);
  ps.allocate();
  ps.values().copy_from(tensor<double, test_backend>::from_host({3}, {1.0, -2.0, 0.5}));
}
}  // namespace

TEST_CASE("an lr multiplier gives the matched parameter AdamW's update at factor times lr", "[optim]") {
  params scaled, fast, plain;
  for (auto* ps : {&scaled, &fast, &plain}) two_params(*ps);
  optim::adamw<double, test_backend> o_scaled(scaled), o_fast(fast), o_plain(plain);
  const auto ranges = optim::lr_ranges::of(scaled, {{"qkv", 4.0}});
  REQUIRE(ranges.ranges.size() == 1);
  const std::vector<std::vector<double>> grads = {{0.3, -0.2, 0.1}, {-0.1, 0.4, 0.2}, {0.05, 0.1, -0.3}};
  for (const auto& g : grads) {
    for (auto* ps : {&scaled, &fast, &plain}) ps->grads().copy_from(tensor<double, test_backend>::from_host({3}, g));
    optim::scaled_step<double, test_backend> s(scaled, ranges);
    o_scaled.step(1e-2);
    s.finish();
    o_fast.step(4e-2);
    o_plain.step(1e-2);
    const auto a = scaled.values().to_host(), f = fast.values().to_host(), p = plain.values().to_host();
    // The weight (decayed) follows the 4× rate, decay included; the bias follows the plain rate.
    REQUIRE(a[0] == Approx(f[0]).epsilon(1e-12));
    REQUIRE(a[1] == Approx(f[1]).epsilon(1e-12));
    REQUIRE(a[2] == p[2]);
    REQUIRE(a[0] != Approx(p[0]).epsilon(1e-6));
  }
}

TEST_CASE("lr multipliers: the last matching pattern wins, and unmatched patterns and bad factors are refused",
          "[optim]") {
  params ps;
  two_params(ps);
  const auto r = optim::lr_ranges::of(ps, {{"blocks.0", 2.0}, {"fc1", 3.0}});
  REQUIRE(r.ranges.size() == 2);
  REQUIRE(r.ranges[0].offset == 0);
  REQUIRE(r.ranges[0].count == 2);
  REQUIRE(r.ranges[0].factor == 2.0);
  REQUIRE(r.ranges[1].offset == 2);
  REQUIRE(r.ranges[1].factor == 3.0);
  REQUIRE(optim::lr_ranges::of(ps, {{"qkv", 1.0}}).empty());  // factor 1: nothing to stretch
  REQUIRE_THROWS_WITH(optim::lr_ranges::of(ps, {{"proj", 2.0}}), Catch::Contains("no parameter name contains it"));
  REQUIRE_THROWS_WITH(optim::lr_ranges::of(ps, {{"qkv", 0.0}}), Catch::Contains("must be a positive number"));
}

TEST_CASE("lr multipliers on two parameters: each follows its own rate", "[optim]") {
  params scaled, fast4, fast2;
  for (auto* ps : {&scaled, &fast4, &fast2}) two_params(*ps);
  optim::adamw<double, test_backend> o_scaled(scaled), o_fast4(fast4), o_fast2(fast2);
  const auto ranges = optim::lr_ranges::of(scaled, {{"qkv", 4.0}, {"fc1", 2.0}});
  REQUIRE(ranges.ranges.size() == 2);
  for (const auto& g : std::vector<std::vector<double>>{{0.3, -0.2, 0.1}, {-0.1, 0.4, 0.2}}) {
    for (auto* ps : {&scaled, &fast4, &fast2}) ps->grads().copy_from(tensor<double, test_backend>::from_host({3}, g));
    optim::scaled_step<double, test_backend> s(scaled, ranges);
    o_scaled.step(1e-2);
    s.finish();
    o_fast4.step(4e-2);
    o_fast2.step(2e-2);
    const auto a = scaled.values().to_host(), f4 = fast4.values().to_host(), f2 = fast2.values().to_host();
    REQUIRE(a[0] == Approx(f4[0]).epsilon(1e-12));
    REQUIRE(a[1] == Approx(f4[1]).epsilon(1e-12));
    REQUIRE(a[2] == Approx(f2[2]).epsilon(1e-12));
  }
}
