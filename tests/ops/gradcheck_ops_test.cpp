// Finite-difference gradient checks for every op (double precision, sentinel-filled gradients).
#include <catch2/catch.hpp>

#include "mvg/ops.hpp"
#include "support/gradcheck.hpp"

using namespace mvg;
using mvg::test::dvar;
using mvg::test::gradcheck;
using mvg::test::random_tensor;

namespace {
constexpr double tol = 1e-6;
}

TEST_CASE("matmul gradients, all transposes and batch layouts", "[grad]") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("trans_a " << ta << " trans_b " << tb);
      const shape sa = ta ? shape{2, 3, 5, 4} : shape{2, 3, 4, 5};
      const shape sb = tb ? shape{2, 3, 6, 5} : shape{2, 3, 5, 6};
      MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::matmul(v[0], v[1], ta, tb); },
                                      {random_tensor(sa, 1), random_tensor(sb, 2)}),
                            tol);
      const shape sb2 = tb ? shape{6, 5} : shape{5, 6};  // one matrix shared by every batch
      MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::matmul(v[0], v[1], ta, tb); },
                                      {random_tensor(sa, 3), random_tensor(sb2, 4)}),
                            tol);
    }
}

TEST_CASE("linear gradients", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::linear(v[0], v[1], v[2]); },
                                  {random_tensor({2, 3, 5}, 1), random_tensor({4, 5}, 2), random_tensor({4}, 3)}),
                        tol);
}

TEST_CASE("broadcasting add/sub/mul gradients", "[grad]") {
  const std::vector<std::pair<shape, shape>> cases = {
      {{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{2, 1, 4}, {3, 1}}, {{2, 3, 4}, {1, 3, 1}}, {{4}, {2, 3, 4}}};
  for (const auto& [a, b] : cases) {
    INFO(a.str() << " with " << b.str());
    const std::vector<test::dtensor> in = {random_tensor(a, 5), random_tensor(b, 6)};
    MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::add(v[0], v[1]); }, in), tol);
    MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::sub(v[0], v[1]); }, in), tol);
    MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mul(v[0], v[1]); }, in), tol);
  }
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::scale(v[0], 0.7); }, {random_tensor({3, 4}, 1)}), tol);
}

TEST_CASE("shape op gradients: reshape, permute, transpose, concat, slice", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mul(ops::reshape(v[0], {6, 4}), v[1]); },
                                  {random_tensor({2, 3, 4}, 1), random_tensor({6, 4}, 2)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::permute(v[0], {2, 0, 3, 1}); },
                                  {random_tensor({2, 3, 4, 5}, 3)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::transpose(v[0], 0, -1); }, {random_tensor({2, 3, 4}, 4)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::concat<double, test_backend>({v[0], v[1], v[0]}, 1); },
                                  {random_tensor({2, 3, 4}, 5), random_tensor({2, 2, 4}, 6)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::slice(v[0], 2, 1, 4); }, {random_tensor({2, 3, 6, 2}, 7)}),
                        tol);
}

TEST_CASE("sum and mean gradients", "[grad]") {
  const auto x = random_tensor({3, 4, 5}, 1);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::sum(v[0]); }, {x}), tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mean(v[0]); }, {x}), tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::sum(v[0], 1); }, {x}), tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mean(v[0], -1, true); }, {x}), tol);
}

TEST_CASE("gelu gradient", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::gelu(v[0]); }, {random_tensor({4, 6}, 1, 3.0)}), tol);
}

TEST_CASE("layer_norm gradients (input, weight, bias)", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::layer_norm(v[0], v[1], v[2], 1e-6); },
                                  {random_tensor({2, 5, 8}, 1), random_tensor({8}, 2), random_tensor({8}, 3)}),
                        tol);
}

TEST_CASE("channel_layer_norm gradients", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::channel_layer_norm(v[0], v[1], v[2], 1e-6); },
                                  {random_tensor({2, 6, 3, 4}, 1), random_tensor({6}, 2), random_tensor({6}, 3)}),
                        tol);
}

TEST_CASE("softmax gradients, plain and masked", "[grad]") {
  const auto x = random_tensor({2, 5, 7}, 1);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::softmax(v[0]); }, {x}), tol);
  auto additive = random_tensor({5, 7}, 2);
  MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::softmax(v[0], &additive); }, {x}), tol);
  std::vector<double> keep(35);
  for (int i = 0; i < 35; ++i) keep[i] = (i % 7) <= (i / 7) + 1 ? 1.0 : 0.0;
  auto keep_t = test::dtensor::from_host({5, 7}, keep);
  MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::softmax(v[0], &keep_t, ops::mask_kind::keep); }, {x}),
                        tol);
}

TEST_CASE("fused attention gradients: none, block-causal, additive", "[grad]") {
  const auto qkv = random_tensor({2, 12, 24}, 1);
  using mask = ops::attention_mask<double, test_backend>;
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::attention(v[0], 2, mask::none()); }, {qkv}), tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::attention(v[0], 2, mask::block_causal(4)); }, {qkv}),
                        tol);
  const auto m = mask::from_additive(random_tensor({12, 12}, 2));
  MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::attention(v[0], 3, m); }, {random_tensor({2, 12, 36}, 3)}),
                        tol);
}

TEST_CASE("conv2d gradients: 3x3 pad 1, stride 2, 1x1, patch embedding", "[grad]") {
  struct c {
    shape x, w;
    ops::conv2d_params p;
  };
  const std::vector<c> cases = {{{2, 3, 7, 7}, {4, 3, 3, 3}, {1, 1}},
                                {{2, 3, 7, 7}, {4, 3, 2, 2}, {2, 0}},
                                {{2, 6, 5, 5}, {1, 6, 1, 1}, {1, 0}},
                                {{2, 1, 8, 8}, {5, 1, 4, 4}, {4, 0}},
                                {{1, 2, 6, 5}, {3, 2, 3, 3}, {2, 1}}};
  for (const auto& k : cases) {
    INFO("x " << k.x.str() << " w " << k.w.str() << " stride " << k.p.stride << " pad " << k.p.padding);
    MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) { return ops::conv2d(v[0], v[1], v[2], k.p); },
                                    {random_tensor(k.x, 1), random_tensor(k.w, 2), random_tensor({k.w[0]}, 3)}),
                          tol);
  }
}

TEST_CASE("pixel_shuffle gradient", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::pixel_shuffle(v[0], 2, 3); }, {random_tensor({2, 2, 3, 12}, 1)}),
                        tol);
}

TEST_CASE("dropout and drop_path gradients follow their masks", "[grad]") {
  // The mask is drawn from a fixed seed on every call, so f is deterministic for finite differences.
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { rng g(11); return ops::dropout(v[0], 0.3, g, true); },
                                  {random_tensor({4, 6}, 1)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { rng g(12); return ops::drop_path(v[0], 0.3, g, true); },
                                  {random_tensor({6, 3, 2}, 1)}),
                        tol);
}

TEST_CASE("loss gradients: smooth-L1, L1, L2, weighted", "[grad]") {
  // Keep |pred − target| away from the kinks (0 and ±β) so central differences are valid.
  std::vector<double> p(32), t(32), w(32);
  rng g(5);
  for (int i = 0; i < 32; ++i) {
    p[i] = g.normal();
    const double mag = i % 2 ? 0.3 + 0.01 * i : 0.002 + 0.0001 * i;  // β = 0.01 sits between
    t[i] = p[i] + (i % 3 ? mag : -mag);
    w[i] = i % 4 ? 1.0 : 0.1;
  }
  const auto pt = test::dtensor::from_host({2, 16}, p), tt = test::dtensor::from_host({2, 16}, t);
  const auto wt = test::dtensor::from_host({2, 16}, w);
  for (auto kind : {ops::loss_kind::smooth_l1, ops::loss_kind::l1, ops::loss_kind::l2})
    for (bool weighted : {false, true}) {
      INFO("kind " << int(kind) << " weighted " << weighted);
      MVG_REQUIRE_GRADCHECK(gradcheck([&](auto& v) {
                              return ops::regression_loss(v[0], v[1], weighted ? &wt : nullptr, {kind, 0.01});
                            },
                                      {pt, tt}),
                            tol);
    }
}

TEST_CASE("embedding gradient, rows used twice or not at all", "[grad]") {
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::embedding(v[0], {2, 0, 2, 3}); }, {random_tensor({5, 3}, 1)}),
                        tol);
}

TEST_CASE("broadcast reductions over inner and outer axes", "[grad]") {
  // [1, S, 1, D] and [1, 1, G, D] added to [B, S, G, D]: the encoder's role and position embeddings.
  const auto x = random_tensor({2, 3, 4, 5}, 1);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::add(v[0], v[1]); }, {x, random_tensor({1, 3, 1, 5}, 2)}),
                        tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mul(v[0], v[1]); }, {x, random_tensor({4, 5}, 3)}), tol);
  MVG_REQUIRE_GRADCHECK(gradcheck([](auto& v) { return ops::mul(v[0], v[1]); }, {x, random_tensor({2, 1, 4, 1}, 4)}),
                        tol);
}
