// Bad-shape calls throw mvg::error with a message that names the op and both shapes.
#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/ops.hpp"

using namespace mvg;
using ftensor = tensor<float, test_backend>;
using fvar = var<float, test_backend>;

namespace {
fvar z(shape s) { return fvar(ftensor::zeros(s), false); }
}  // namespace

TEST_CASE("ops reject bad shapes with clear messages", "[errors]") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(ops::matmul(z({2, 3}), z({4, 5})),
                      Contains("matmul") && Contains("[2, 3]") && Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(ops::matmul(z({2, 2, 3}), z({3, 3, 5})), Contains("batch dimensions differ"));
  REQUIRE_THROWS_WITH(ops::add(z({2, 3}), z({4})), Contains("add") && Contains("[2, 3]") && Contains("[4]"));
  REQUIRE_THROWS_WITH(ops::mul(z({2, 3}), z({2, 2})), Contains("do not broadcast"));
  REQUIRE_THROWS_WITH(ops::linear(z({2, 5}), z({4, 6})), Contains("linear") && Contains("[2, 5]"));
  REQUIRE_THROWS_WITH(ops::layer_norm(z({2, 8}), z({7}), z({8})), Contains("layer_norm") && Contains("[7]"));
  const std::vector<fvar> parts = {z({2, 3}), z({3, 3})};
  REQUIRE_THROWS_WITH(ops::concat(parts, 1), Contains("concat") && Contains("[3, 3]"));
  REQUIRE_THROWS_WITH(ops::slice(z({2, 3}), 1, 2, 5), Contains("slice") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ops::permute(z({2, 3}), {0, 0}), Contains("repeated"));
  REQUIRE_THROWS_WITH(ops::conv2d(z({1, 3, 5, 5}), z({4, 2, 3, 3})), Contains("conv2d") && Contains("channels"));
  REQUIRE_THROWS_WITH(ops::attention(z({1, 4, 12}), 3), Contains("not divisible by 3 heads"));
  REQUIRE_THROWS_WITH(ops::attention(z({1, 6, 12}), 2, ops::attention_mask<float, test_backend>::block_causal(4)),
                      Contains("does not divide 6"));
  REQUIRE_THROWS_WITH(ops::pixel_shuffle(z({1, 2, 2, 10}), 2, 3), Contains("pixel_shuffle"));
  REQUIRE_THROWS_WITH(ops::smooth_l1_loss(z({2, 3}), z({3, 2})), Contains("[2, 3]") && Contains("[3, 2]"));
  const auto bad_mask = ftensor::zeros({2});
  REQUIRE_THROWS_WITH(ops::softmax(z({2, 3}), &bad_mask), Contains("mask [2]") && Contains("[2, 3]"));
}

TEST_CASE("dropout is inverted and only active in training", "[ops]") {
  rng g(3);
  fvar x(ftensor::full({100000}, 1.f), false);
  auto eval = ops::dropout(x, 0.25, g, false);
  REQUIRE(eval.value().storage() == x.value().storage());
  auto y = ops::dropout(x, 0.25, g, true).value().to_host();
  double kept = 0, total = 0;
  for (float v : y) {
    REQUIRE((v == 0.f || v == Approx(1.f / 0.75f)));
    kept += v != 0.f;
    total += v;
  }
  REQUIRE(kept / y.size() == Approx(0.75).margin(0.01));
  REQUIRE(total / y.size() == Approx(1.0).margin(0.01));  // expectation preserved
  auto dp = ops::drop_path(fvar(ftensor::full({1000, 8}, 1.f), false), 0.5, g, true).value().to_host();
  for (int i = 0; i < 1000; ++i)
    for (int j = 1; j < 8; ++j) REQUIRE(dp[i * 8 + j] == dp[i * 8]);  // whole samples kept or dropped
}
