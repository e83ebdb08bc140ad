// The whole tiny model in bf16 against fp32 (docs/precision.md): the prediction and every parameter's
// gradient stay within bf16's tolerance of fp32's, and differ from them (so the bf16 path ran). On a CPU
// without AMX or AVX512-BF16 the emulated product stands in: the same numbers up to summation order.
#include <catch2/catch.hpp>

#include <cmath>

#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"
#include "support/backend_under_test.hpp"
#include "support/precision_scope.hpp"

using namespace mvg;

namespace {
using B = test_backend;
using model_t = model<presets::tiny, B>;

struct run_result {
  std::vector<float> prediction, grads;
  double loss;
};

run_result forward_backward(precision p) {
  const mvg_test::precision_scope scope(p);
  REQUIRE(B::effective_precision() == p);
  model_t m(5);
  constexpr int64_t n = presets::tiny.image_size, batch = 2;
  rng g(9);
  std::vector<float> px(std::size_t(batch * 3 * n * n)), target(std::size_t(batch * 2 * n * n));
  for (auto& v : px) v = float(g.uniform());
  for (auto& v : target) v = float(g.uniform());
  const auto pixels = tensor<float, B>::from_host({batch, 3, n, n}, px);
  const var<float, B> tgt(tensor<float, B>::from_host({batch, 2, n, n}, target));
  m.parameters().zero_grad();
  auto pred = m.forward(pixels, sequence_roles(1, 3), nullptr, attention_kind::block_causal, {0, 2});
  auto loss = ops::smooth_l1_loss(pred, tgt, 0.01);
  autograd::backward(loss);
  return {pred.value().to_host(), m.parameters().grads().to_host(), loss.value().item()};
}

// ‖a − b‖ / ‖b‖
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    n += double(b[i]) * b[i];
  }
  return std::sqrt(d / n);
}
}  // namespace

TEST_CASE("tiny model in bf16: prediction and gradients within bf16's tolerance of fp32's", "[nn][precision]") {
  const auto fp32 = forward_backward(precision::fp32);
  const auto bf16 = forward_backward(precision::bf16);
  const double pred_err = relative_error(bf16.prediction, fp32.prediction);
  const double grad_err = relative_error(bf16.grads, fp32.grads);
  INFO("prediction " << pred_err << ", gradients " << grad_err << ", loss " << fp32.loss << " / " << bf16.loss);
  // bf16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.002); through 8 blocks and the decoder
  // the errors add up to about 1%, not to a different model.
  CHECK(pred_err > 1e-4);  // the products really ran in bf16
  CHECK(pred_err < 2e-2);
  CHECK(grad_err > 1e-4);
  CHECK(grad_err < 2e-2);
  CHECK(std::abs(bf16.loss - fp32.loss) < 1e-2 * fp32.loss);
}
