// The tiny and small presets (SPEC §2) end to end: inference (no grad) and a full training step (forward,
// backward, AdamW) at batch 1 and 8, for the MIM canvas (4 slots, full attention) and the
// autoregressive sentence (3 slots, block-causal, image slots decoded).
// The cases are templates over the backend: bench_model runs them on mvg::cpu; bench_model_cuda, the
// same file compiled by nvcc with MVG_BENCH_CUDA (bench/CMakeLists.txt), runs them on mvg::cuda for
// the tiny and base presets. The third argument picks the products (mvg/backend/precision.hpp):
// CPU 0 = fp32 through Eigen (mvg before oneDNN), 1 = fp32 through oneDNN, 2 = bf16; GPU 0 = fp32,
// 1 = tf32, 2 = bf16. A bf16 case on a CPU without bf16 runs fp32 and says so in its label.
#include <benchmark/benchmark.h>

#include "mvg/backend/cpu/cpu.hpp"
#if defined(MVG_BENCH_CUDA)
#include "mvg/backend/cuda/cuda.hpp"
#endif
#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"
#include "mvg/optim/adamw.hpp"
#include "products.hpp"

namespace {

template <mvg::config C, class B>
mvg::tensor<float, B> random_pixels(int64_t batch, int64_t slots) {
  mvg::rng g(1);
  std::vector<float> v(static_cast<size_t>(batch * slots * C.image_size * C.image_size));
  for (auto& x : v) x = static_cast<float>(g.uniform());
  return mvg::tensor<float, B>::from_host({batch, slots, C.image_size, C.image_size}, v);
}

template <mvg::config C, class B>
void BM_inference(benchmark::State& st) {
  const int64_t batch = st.range(0);
  const bool ar = st.range(1) != 0;
  const int64_t tokens = (C.image_size / C.patch) * (C.image_size / C.patch);
  const products_scope<B> products(st, st.range(2));
  mvg::model<C, B> m(0);
  const auto px = random_pixels<C, B>(batch, ar ? 3 : 4);
  const std::vector<int64_t> decode = ar ? std::vector<int64_t>{2} : std::vector<int64_t>{3};
  std::vector<float> mask(static_cast<size_t>(batch * 4 * tokens), 0.f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 3 * tokens; j < 4 * tokens; ++j) mask[b * 4 * tokens + j] = 1.f;
  const auto tm = mvg::tensor<float, B>::from_host({batch, 4 * tokens}, mask);
  for (auto _ : st) {
    mvg::autograd::no_grad guard;
    auto y = m.forward(px, mvg::sequence_roles(1, ar ? 3 : 4), ar ? nullptr : &tm,
                       ar ? mvg::attention_kind::block_causal : mvg::attention_kind::full, decode);
    B::synchronize();  // a GPU runs asynchronously: time the work, not its launch
    benchmark::DoNotOptimize(y.value().data());
  }
  st.counters["samples/s"] = benchmark::Counter(double(batch) * st.iterations(), benchmark::Counter::kIsRate);
}

template <mvg::config C, class B>
void BM_train_step(benchmark::State& st) {
  const int64_t batch = st.range(0);
  const bool ar = st.range(1) != 0;
  const products_scope<B> products(st, st.range(2));
  mvg::model<C, B> m(0);
  mvg::optim::adamw<float, B> opt(m.parameters());
  const auto px = random_pixels<C, B>(batch, ar ? 3 : 4);
  const int64_t out_slots = ar ? 2 : 4;
  const mvg::var<float, B> target(random_pixels<C, B>(batch, out_slots));
  const std::vector<int64_t> decode = ar ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{};
  for (auto _ : st) {
    m.parameters().zero_grad();
    auto pred = m.forward(px, mvg::sequence_roles(1, ar ? 3 : 4), nullptr,
                          ar ? mvg::attention_kind::block_causal : mvg::attention_kind::full, decode);
    auto loss = mvg::ops::smooth_l1_loss(pred, target, 0.01);
    mvg::autograd::backward(loss);
    opt.step(1e-4);
    B::synchronize();
    benchmark::DoNotOptimize(loss.value().data());
  }
  st.counters["samples/s"] = benchmark::Counter(double(batch) * st.iterations(), benchmark::Counter::kIsRate);
}

// Args: {batch, autoregressive?, products}. The CPU names stay BM_tiny_* (docs/benchmarks.md and
// compare_pytorch.py read them).
#define MVG_MODEL_BENCH(name, fn, C, B)                                                                 \
  BENCHMARK_TEMPLATE2(fn, C, B)                                                                         \
      ->Name(name)                                                                                      \
      ->ArgsProduct({{1, 8}, {0, 1}, {0, 1, 2}})                                                        \
      ->Unit(benchmark::kMillisecond)
#if defined(MVG_BENCH_CUDA)
MVG_MODEL_BENCH("BM_tiny_inference_cuda", BM_inference, mvg::presets::tiny, mvg::cuda);
MVG_MODEL_BENCH("BM_tiny_train_step_cuda", BM_train_step, mvg::presets::tiny, mvg::cuda);
MVG_MODEL_BENCH("BM_base_inference_cuda", BM_inference, mvg::presets::base, mvg::cuda);
MVG_MODEL_BENCH("BM_base_train_step_cuda", BM_train_step, mvg::presets::base, mvg::cuda);
#else
MVG_MODEL_BENCH("BM_tiny_inference", BM_inference, mvg::presets::tiny, mvg::cpu);
MVG_MODEL_BENCH("BM_tiny_train_step", BM_train_step, mvg::presets::tiny, mvg::cpu);
MVG_MODEL_BENCH("BM_small_inference", BM_inference, mvg::presets::small, mvg::cpu);
MVG_MODEL_BENCH("BM_small_train_step", BM_train_step, mvg::presets::small, mvg::cpu);
#endif
}  // namespace
