// GEMM throughput at the tiny preset's ViT shapes (batch 8, 4 slots of 64 tokens → 2048 rows),
// through mvg's backend entry point vs. a plain Eigen product, plus large square products as the
// machine's peaks. The last argument of the mvg cases picks the product (bench/products.hpp: Eigen
// fp32, oneDNN fp32, bf16). GFLOP/s counters.
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/core/random.hpp"
#include "mvg/ops/matmul.hpp"
#include "products.hpp"

namespace {

std::vector<float> random_vec(int64_t n, uint64_t seed) {
  mvg::rng g(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<float>(g.normal());
  return v;
}

void set_flops(benchmark::State& st, double flops) {
  st.counters["GFLOP/s"] = benchmark::Counter(flops * st.iterations() / 1e9, benchmark::Counter::kIsRate);
}

// y[m, n] = x[m, k] · w[n, k]ᵀ — the layout of every Linear.
void BM_mvg_linear_gemm(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  const products_scope<mvg::cpu> products(st, st.range(3));
  auto a = random_vec(m * k, 1), b = random_vec(n * k, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  for (auto _ : st) {
    mvg::ops::detail::dense_gemm<float, mvg::cpu>(false, true, m, n, k, a.data(), b.data(), c.data(), 0.f);
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(st, 2.0 * m * n * k);
}

void BM_eigen_plain_product(benchmark::State& st) {
  const int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  using mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  mat a = mat::Random(m, k), b = mat::Random(n, k), c(m, n);
  for (auto _ : st) {
    c.noalias() = a * b.transpose();
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(st, 2.0 * m * n * k);
}

// Attention-shaped batched products: (batch·heads) × [T, dh]·[dh, T].
void BM_mvg_batched_scores(benchmark::State& st) {
  const int64_t bh = st.range(0), t = st.range(1), dh = st.range(2);
  const products_scope<mvg::cpu> products(st, st.range(3));
  auto q = random_vec(bh * t * dh, 3), k = random_vec(bh * t * dh, 4);
  std::vector<float> s(static_cast<size_t>(bh * t * t));
  for (auto _ : st) {
    mvg::ops::detail::dense_gemm<float, mvg::cpu>(false, true, t, t, dh, q.data(), k.data(), s.data(), 0.f, bh,
                                                  t * dh, t * dh, t * t);
    benchmark::DoNotOptimize(s.data());
  }
  set_flops(st, 2.0 * bh * t * t * dh);
}

// tiny preset, batch 8: qkv (2048×576×192), proj (2048×192×192), fc1 (2048×768×192),
// fc2 (2048×192×768), decoder embed (2048×4096×768); each through the three products
BENCHMARK(BM_mvg_linear_gemm)
    ->ArgsProduct({{2048}, {576, 192, 768}, {192}, {0, 1, 2}})
    ->ArgsProduct({{2048}, {192}, {768}, {0, 1, 2}})
    ->ArgsProduct({{2048}, {4096}, {768}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_eigen_plain_product)
    ->Args({2048, 576, 192})->Args({2048, 192, 192})->Args({2048, 768, 192})->Args({2048, 192, 768})
    ->Args({2048, 4096, 768})->Unit(benchmark::kMillisecond);
// The machine's peaks: Eigen's fp32 (the name compare_pytorch.py has always read), oneDNN's fp32, bf16.
BENCHMARK(BM_eigen_plain_product)->Name("sgemm_peak_square_2048")->Args({2048, 2048, 2048})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mvg_linear_gemm)->Name("sgemm_peak_onednn_2048")->Args({2048, 2048, 2048, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mvg_linear_gemm)->Name("bf16_peak_2048")->Args({2048, 2048, 2048, 2})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mvg_batched_scores)->ArgsProduct({{24}, {256, 192}, {64}, {0, 1, 2}})->Unit(benchmark::kMillisecond);

}  // namespace
