// The precision of the backend's float products (backend/precision.hpp): bf16 rounding, and gemm in
// bf16 against a double-precision product of bf16-rounded operands, on the backend under test.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "mvg/tensor/tensor.hpp"
#include "support/backend_under_test.hpp"
#include "support/precision_scope.hpp"

using namespace mvg;
using mvg_test::precision_scope;

namespace {

// One product's operands as stored, with its gemm_args; `reference` is C computed in double from
// operands that went through `round`.
struct product_case {
  gemm_args g;
  std::vector<float> a, b, c;
  float alpha, beta;

  template <class Round>
  std::vector<double> reference(Round round) const {
    std::vector<double> out(c.begin(), c.end());  // the gaps between C's rows stay as they are
    for (int64_t p = 0; p < g.batch; ++p)
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j) {
          double acc = 0;
          for (int64_t l = 0; l < g.k; ++l) {
            const float x = a[size_t(p * g.stride_a + (g.trans_a ? l * g.lda + i : i * g.lda + l))];
            const float y = b[size_t(p * g.stride_b + (g.trans_b ? j * g.ldb + l : l * g.ldb + j))];
            acc += double(round(x)) * double(round(y));
          }
          const size_t at = size_t(p * g.stride_c + i * g.ldc + j);
          out[at] = double(alpha) * acc + double(beta) * double(c[at]);
        }
    return out;
  }

  std::vector<float> run() const {
    auto ta = tensor<float, test_backend>::from_host(shape{int64_t(a.size())}, a);
    auto tb = tensor<float, test_backend>::from_host(shape{int64_t(b.size())}, b);
    auto tc = tensor<float, test_backend>::from_host(shape{int64_t(c.size())}, c);
    test_backend::gemm(g, alpha, ta.data(), tb.data(), beta, tc.data());
    return tc.to_host();
  }
};

// Transposes, dense or wider leading dimensions, a batch (or an operand shared by it: stride 0, as a
// convolution's weight or a linear's), alpha and beta: every argument the ops pass. Dense cases
// matter apart: oneDNN's AMX kernel takes only a dense C, a wide one goes to another kernel.
struct case_args {
  bool ta = false, tb = false;
  int64_t batch = 1;
  bool share_a = false, share_b = false, dense = false;
  float alpha = 1, beta = 0;
};

product_case make_case(const case_args& c, uint32_t seed) {
  const bool ta = c.ta, tb = c.tb, share_b = c.share_b;
  const int64_t batch = c.batch;
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  product_case pc;
  gemm_args& g = pc.g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = 37;
  g.n = 29;
  g.k = 300;  // long enough that fp32 and bf16 operands give clearly different sums
  const int64_t wide = c.dense ? 0 : 1;
  g.lda = (ta ? g.m : g.k) + 3 * wide;
  g.ldb = (tb ? g.k : g.n) + 5 * wide;
  g.ldc = g.n + 2 * wide;
  g.batch = batch;
  g.stride_a = c.share_a ? 0 : (ta ? g.k : g.m) * g.lda;
  g.stride_b = share_b ? 0 : (tb ? g.n : g.k) * g.ldb;
  g.stride_c = g.m * g.ldc;
  auto fill = [&](std::vector<float>& v, int64_t n) {
    v.resize(size_t(n));
    for (auto& x : v) x = nd(gen);
  };
  fill(pc.a, c.share_a ? (ta ? g.k : g.m) * g.lda : g.batch * g.stride_a);
  fill(pc.b, share_b ? (tb ? g.n : g.k) * g.ldb : g.batch * g.stride_b);
  fill(pc.c, g.batch * g.stride_c);
  pc.alpha = c.alpha;
  pc.beta = c.beta;
  return pc;
}

double max_abs_diff(const std::vector<float>& x, const std::vector<double>& y) {
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(double(x[i]) - y[i]));
  return d;
}

}  // namespace

TEST_CASE("bf16 rounding: to nearest, ties to even, NaN and infinity kept", "[core]") {
  CHECK(detail::round_to_bf16(1.0f) == 1.0f);
  CHECK(detail::round_to_bf16(-2.5f) == -2.5f);
  const float ulp = std::ldexp(1.0f, -7);  // bf16 keeps 7 mantissa bits
  CHECK(detail::round_to_bf16(1.0f + ulp / 2) == 1.0f);                  // a tie goes to the even 1.0
  CHECK(detail::round_to_bf16(1.0f + 3 * ulp / 2) == 1.0f + 2 * ulp);    // a tie goes to the even 1 + 2 ulp
  CHECK(detail::round_to_bf16(1.0f + ulp / 2 + ulp / 8) == 1.0f + ulp);  // above the tie rounds up
  CHECK(detail::round_to_bf16(std::numeric_limits<float>::infinity()) == std::numeric_limits<float>::infinity());
  CHECK(std::isnan(detail::round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isnan(detail::round_to_bf16(-std::numeric_limits<float>::signaling_NaN())));
  CHECK(detail::bf16_bits(1.0f) == 0x3f80);
  CHECK(detail::bf16_value(0xc000) == -2.0f);
}

TEST_CASE("precision names parse and a bad one is refused by name", "[core]") {
  CHECK(parse_precision("bf16", "--precision") == precision::bf16);
  CHECK(parse_precision("fp32", "--precision") == precision::fp32);
  CHECK(parse_precision("tf32", "--precision") == precision::tf32);
  CHECK(std::string(precision_name(precision::bf16)) == "bf16");
  REQUIRE_THROWS_WITH(parse_precision("fp16", "--precision"),
                      Catch::Contains("--precision") && Catch::Contains("'fp16'") && Catch::Contains("bf16"));
}

TEST_CASE("backend gemm in bf16: the product of bf16-rounded operands, accumulated in fp32", "[core]") {
  const std::vector<case_args> cases{
      {.tb = true, .dense = true},                                    // a linear layer: x·Wᵀ
      {.ta = true, .dense = true, .beta = 1},                         // its weight gradient, accumulated
      {.batch = 3, .share_a = true, .dense = true},                   // a convolution: W · columns
      {.ta = true, .batch = 3, .share_a = true, .dense = true, .beta = 1},  // its input gradient
      {.tb = true, .batch = 3, .dense = true, .alpha = 0.125f},       // attention scores, scaled
      {},
      {.ta = true, .beta = 0.75f},
      {.tb = true, .batch = 3, .beta = 0.75f},
      {.ta = true, .tb = true, .batch = 3},
      {.batch = 3, .alpha = 0.5f, .beta = 0.75f},
      {.tb = true, .batch = 3, .share_b = true, .beta = 0.75f},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const case_args& c = cases[i];
    const product_case pc = make_case(c, uint32_t(100 + i));
    INFO("trans_a " << c.ta << " trans_b " << c.tb << " batch " << c.batch << " shared A " << c.share_a
                    << " shared B " << c.share_b << " dense " << c.dense << " alpha " << c.alpha << " beta " << c.beta);
    const auto exact_bf16 = pc.reference(detail::round_to_bf16);
    const auto exact_fp32 = pc.reference([](float x) { return x; });
    std::vector<float> got;
    {
      precision_scope scope(precision::bf16);
      REQUIRE(test_backend::effective_precision() == precision::bf16);
      got = pc.run();
    }
    // fp32 accumulation of 300 products of size ~1: a few 1e-5 of error; bf16 operands are 100x off that.
    const double to_bf16 = max_abs_diff(got, exact_bf16), to_fp32 = max_abs_diff(got, exact_fp32);
    CHECK(to_bf16 < 1e-4);
    CHECK(to_fp32 > 1e-2);
    // Back in fp32, the product is the fp32 one again.
    CHECK(max_abs_diff(pc.run(), exact_fp32) < 5e-4);
  }
#if !defined(MVG_TEST_BACKEND_CUDA)
  // Where the CPU has bf16, every case above ran on one of oneDNN's bf16 kernels (none fell back).
  if (detail::onednn_has_bf16()) CHECK(detail::bf16_fallbacks().load() == 0);
#endif
}

TEST_CASE("backend gemm: fp32 is the default precision, and double ignores the setting", "[core]") {
  CHECK(test_backend::precision() == precision::fp32);
  const product_case pc = make_case({.tb = true, .batch = 2}, 7);
  precision_scope scope(precision::bf16);
  // double products stay double: the same values as the reference to double rounding.
  std::vector<double> a(pc.a.begin(), pc.a.end()), b(pc.b.begin(), pc.b.end()), c(pc.c.begin(), pc.c.end());
  auto ta = tensor<double, test_backend>::from_host(shape{int64_t(a.size())}, a);
  auto tb = tensor<double, test_backend>::from_host(shape{int64_t(b.size())}, b);
  auto tc = tensor<double, test_backend>::from_host(shape{int64_t(c.size())}, c);
  test_backend::gemm(pc.g, 1.0, ta.data(), tb.data(), 0.0, tc.data());
  const auto got = tc.to_host(), want = pc.reference([](float x) { return x; });
  double d = 0;
  for (size_t i = 0; i < got.size(); ++i) d = std::max(d, std::abs(got[i] - want[i]));
  CHECK(d < 1e-10);
}

#if !defined(MVG_TEST_BACKEND_CUDA)
TEST_CASE("cpu: bf16 without AMX or AVX512-BF16 runs in fp32 unless emulation is asked for", "[core]") {
  const bool emulating = detail::bf16_emulation().load();
  detail::bf16_emulation() = false;
  cpu::set_precision(precision::bf16);
  const precision effective = cpu::effective_precision();
  const std::string note = cpu::precision_note(precision::bf16);
  cpu::set_precision(precision::fp32);
  detail::bf16_emulation() = emulating;
  if (detail::onednn_has_bf16()) {
    CHECK(effective == precision::bf16);
    CHECK(note.empty());
  } else {
    CHECK(effective == precision::fp32);
    CHECK_THAT(note, Catch::Contains("products run in fp32"));
  }
  CHECK_THAT(cpu::precision_note(precision::tf32), Catch::Contains("no TF32"));
}

TEST_CASE("cpu: the emulated bf16 product matches the bf16 reference on every machine", "[core]") {
  const product_case pc = make_case({.ta = true, .batch = 3, .share_b = true, .beta = 0.75f}, 11);
  std::vector<float> c = pc.c;
  detail::gemm_bf16_emulated(pc.g, pc.alpha, pc.a.data(), pc.b.data(), pc.beta, c.data(), &cpu::gemm_eigen<float>);
  CHECK(max_abs_diff(c, pc.reference(detail::round_to_bf16)) < 1e-4);
}
#endif
