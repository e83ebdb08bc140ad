// The tiny preset (SPEC §2) end to end: inference (no grad) and a full training step (forward,
// backward, AdamW) at batch 1 and 8, for the MIM canvas (4 slots, full attention) and the
// autoregressive sentence (3 slots, block-causal, image slots decoded).
#include <benchmark/benchmark.h>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"
#include "mvg/optim/adamw.hpp"

namespace {
using model_t = mvg::model<mvg::presets::tiny, mvg::cpu>;
using ftensor = mvg::tensor<float, mvg::cpu>;
using fvar = mvg::var<float, mvg::cpu>;
constexpr int n = mvg::presets::tiny.image_size;

ftensor random_pixels(int64_t batch, int64_t slots) {
  mvg::rng g(1);
  std::vector<float> v(static_cast<size_t>(batch * slots * n * n));
  for (auto& x : v) x = static_cast<float>(g.uniform());
  return ftensor::from_host({batch, slots, n, n}, v);
}

void BM_tiny_inference(benchmark::State& st) {
  const int64_t batch = st.range(0);
  const bool ar = st.range(1) != 0;
  model_t m(0);
  const auto px = random_pixels(batch, ar ? 3 : 4);
  const std::vector<int64_t> decode = ar ? std::vector<int64_t>{2} : std::vector<int64_t>{3};
  std::vector<float> mask(static_cast<size_t>(batch * 4 * 64), 0.f);
  for (int64_t b = 0; b < batch; ++b)
    for (int j = 192; j < 256; ++j) mask[b * 256 + j] = 1.f;
  const auto tm = ftensor::from_host({batch, 4 * 64}, mask);
  for (auto _ : st) {
    mvg::autograd::no_grad guard;
    auto y = m.forward(px, mvg::sequence_roles(1, ar ? 3 : 4), ar ? nullptr : &tm,
                       ar ? mvg::attention_kind::block_causal : mvg::attention_kind::full, decode);
    benchmark::DoNotOptimize(y.value().data());
  }
  st.counters["samples/s"] = benchmark::Counter(double(batch) * st.iterations(), benchmark::Counter::kIsRate);
}

void BM_tiny_train_step(benchmark::State& st) {
  const int64_t batch = st.range(0);
  const bool ar = st.range(1) != 0;
  model_t m(0);
  mvg::optim::adamw<float, mvg::cpu> opt(m.parameters());
  const auto px = random_pixels(batch, ar ? 3 : 4);
  const int64_t out_slots = ar ? 2 : 4;
  const fvar target(random_pixels(batch, out_slots));
  const std::vector<int64_t> decode = ar ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{};
  for (auto _ : st) {
    m.parameters().zero_grad();
    auto pred = m.forward(px, mvg::sequence_roles(1, ar ? 3 : 4), nullptr,
                          ar ? mvg::attention_kind::block_causal : mvg::attention_kind::full, decode);
    auto loss = mvg::ops::smooth_l1_loss(pred, target, 0.01);
    mvg::autograd::backward(loss);
    opt.step(1e-4);
    benchmark::DoNotOptimize(loss.value().data());
  }
  st.counters["samples/s"] = benchmark::Counter(double(batch) * st.iterations(), benchmark::Counter::kIsRate);
}

// Args: {batch, autoregressive?}
BENCHMARK(BM_tiny_inference)->Args({1, 0})->Args({8, 0})->Args({1, 1})->Args({8, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tiny_train_step)->Args({1, 0})->Args({8, 0})->Args({1, 1})->Args({8, 1})->Unit(benchmark::kMillisecond);
}  // namespace
