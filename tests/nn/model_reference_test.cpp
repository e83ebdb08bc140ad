// The whole model against an independent PyTorch implementation (tests/reference/make_model_reference.py):
// outputs, loss and every parameter's gradient under full and block-causal attention, and the
// weights after 3 AdamW steps. Float32 here vs float64 there: tolerance 1e-4 relative.
#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/io/checkpoint.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"
#include "mvg/optim/adamw.hpp"
#include "support/reference.hpp"

using namespace mvg;

namespace {
constexpr config ref_cfg = test::reference_model_cfg;
using model_t = model<ref_cfg, test_backend>;
using ftensor = tensor<float, test_backend>;
using fvar = var<float, test_backend>;

const io::safetensors_file& ref() {
  static const auto f = io::safetensors_file::read(test::reference_path("model_small.safetensors"));
  return f;
}
ftensor load(const std::string& name) { return ftensor::from_host(ref().at(name).dims, ref().values<float>(name)); }

double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  return test::scaled_max_error(a, b, 0);
}

void load_reference_weights(model_t& m) {
  io::check_config(ref(), ref_cfg);
  io::load_parameters(m.parameters(), ref(), "param.");
}

fvar slot(const fvar& pred, int64_t k) {
  return ops::reshape(ops::slice(pred, 1, k, k + 1), {pred.dim(0), pred.dim(2), pred.dim(3)});
}

fvar full_loss(const model_t& m, fvar* pred_out = nullptr) {
  static const ftensor pixels = load("input.pixels"), mask = load("input.token_mask");
  static const ftensor target = load("input.target"), weight = load("input.weight");
  auto pred = m.forward(pixels, sequence_roles(1, 4), &mask, attention_kind::full);
  if (pred_out) *pred_out = pred;
  return ops::smooth_l1_loss(slot(pred, 3), fvar(target), 0.01, &weight);
}

void check_grads(const model_t& m, const std::string& mode) {
  for (const auto& p : m.parameters().infos()) {
    INFO(mode << " gradient of " << p.name);
    const auto expected = ref().values<float>(mode + ".grad." + p.name);
    const auto got = m.parameters()[p.name].grad().to_host();
    if (test::max_abs(std::vector<double>(expected.begin(), expected.end())) == 0) {
      // Only the unused mask token may have no gradient; ours must then be exactly zero too.
      REQUIRE(p.name == "mask_token");
      for (float g : got) REQUIRE(g == 0.f);
      continue;
    }
    CHECK(rel_error(got, expected) < 1e-4);
  }
}
}  // namespace

TEST_CASE("model matches PyTorch under full attention with masked tokens", "[reference][model]") {
  model_t m(0);
  load_reference_weights(m);
  m.parameters().zero_grad();
  autograd::current_tape().clear();
  fvar pred;
  auto loss = full_loss(m, &pred);
  const auto expected = ref().values<float>("full.pred");
  REQUIRE(test::max_abs(std::vector<double>(expected.begin(), expected.end())) > 0);
  CHECK(rel_error(pred.value().to_host(), expected) < 1e-4);
  CHECK(loss.value().item() == Approx(ref().values<float>("full.loss")[0]).epsilon(1e-4));
  autograd::backward(loss);
  check_grads(m, "full");
}

TEST_CASE("model matches PyTorch under block-causal attention (autoregressive)", "[reference][model]") {
  model_t m(0);
  load_reference_weights(m);
  m.parameters().zero_grad();
  autograd::current_tape().clear();
  const ftensor pixels = load("input.pixels");
  auto pred = m.forward(pixels, sequence_roles(1, 4), nullptr, attention_kind::block_causal);
  CHECK(rel_error(pred.value().to_host(), ref().values<float>("causal.pred")) < 1e-4);
  // Eq. 2: each image slot predicts the next (label) slot.
  fvar px(pixels);
  auto loss = ops::scale(ops::add(ops::smooth_l1_loss(slot(pred, 0), slot(px, 1), 0.01),
                                  ops::smooth_l1_loss(slot(pred, 2), slot(px, 3), 0.01)),
                         0.5f);
  CHECK(loss.value().item() == Approx(ref().values<float>("causal.loss")[0]).epsilon(1e-4));
  autograd::backward(loss);
  check_grads(m, "causal");
}

TEST_CASE("decoding only some slots gives the same values and gradients", "[model]") {
  model_t m(0);
  load_reference_weights(m);
  const ftensor pixels = load("input.pixels");
  auto run = [&](const std::vector<int64_t>& decode) {
    m.parameters().zero_grad();
    autograd::current_tape().clear();
    auto pred = m.forward(pixels, sequence_roles(1, 4), nullptr, attention_kind::block_causal, decode);
    const int64_t b = decode.empty() ? 2 : 1;  // where slot 2 lands in the output (slot 0 is always first)
    auto loss = ops::add(ops::smooth_l1_loss(slot(pred, 0), slot(fvar(pixels), 1), 0.01),
                         ops::smooth_l1_loss(slot(pred, b), slot(fvar(pixels), 3), 0.01));
    autograd::backward(loss);
    return std::make_pair(loss.value().item(), m.parameters().grads().to_host());
  };
  const auto [l_all, g_all] = run({});
  const auto [l_sub, g_sub] = run({0, 2});
  REQUIRE(l_all == l_sub);
  REQUIRE(rel_error(g_sub, g_all) < 1e-6);
}

TEST_CASE("three AdamW steps match torch.optim.AdamW", "[reference][optim]") {
  model_t m(0);
  load_reference_weights(m);
  optim::adamw<float, test_backend> opt(m.parameters(), {1e-3, 0.9, 0.999, 1e-8, 0.05});
  const auto losses = ref().values<float>("adamw3.losses");
  for (int step = 0; step < 3; ++step) {
    m.parameters().zero_grad();
    autograd::current_tape().clear();
    auto loss = full_loss(m);
    CHECK(loss.value().item() == Approx(losses[step]).epsilon(1e-4));
    autograd::backward(loss);
    opt.step(1e-3);
  }
  for (const auto& p : m.parameters().infos()) {
    INFO("after 3 steps: " << p.name);
    CHECK(rel_error(m.parameters()[p.name].value().to_host(), ref().values<float>("adamw3." + p.name)) < 1e-4);
  }
}
