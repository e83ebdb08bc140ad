// The position-heads init (nn/position_heads.hpp): off, it changes nothing; on, the first block's head 0
// makes a query-image token attend to the prompt label's token at its own position. Checked by hand
// from the parameters (LayerNorm, q/k and softmax written out here) on tokens pos_embed + role_embed,
// what the encoder sees for a blank canvas. MAE's init alone must fail the same check.
#include <catch2/catch.hpp>

#include <cmath>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/nn/model.hpp"

using namespace mvg;

namespace {
using model_t = model<presets::tiny, cpu>;
constexpr int64_t D = presets::tiny.embed_dim, HD = presets::tiny.head_dim(), G = presets::tiny.tokens_per_slot();

struct attention_stats {
  double matched = 0;     // share of queries whose strongest prompt-label key is at their position
  double same_place = 0;  // mean attention mass on the three tokens at the query's position
};

// Block 0, head 0, slots [Px, Py, X] as the autoregressive sequence has them; queries: the X tokens.
attention_stats head0(const model_t& m) {
  const auto& ps = m.parameters();
  const auto pos = ps["pos_embed"].value().to_host(), roles = ps["role_embed"].value().to_host();
  const auto w = ps["blocks.0.attn.qkv.weight"].value().to_host(), b = ps["blocks.0.attn.qkv.bias"].value().to_host();
  const int64_t role_of[3] = {0, 1, 2};
  std::vector<double> q(3 * G * HD), k(3 * G * HD);
  for (int64_t s = 0; s < 3; ++s)
    for (int64_t j = 0; j < G; ++j) {
      std::vector<double> x(D);
      double mean = 0, var = 0;
      for (int64_t c = 0; c < D; ++c) mean += x[c] = pos[j * D + c] + roles[role_of[s] * D + c];
      mean /= D;
      for (int64_t c = 0; c < D; ++c) var += (x[c] - mean) * (x[c] - mean);
      const double inv = 1 / std::sqrt(var / D + 1e-6);
      for (int64_t c = 0; c < D; ++c) x[c] = (x[c] - mean) * inv;  // norm1 at init: weight 1, bias 0
      for (int64_t o = 0; o < HD; ++o) {
        double qo = b[o], ko = b[D + o];
        for (int64_t c = 0; c < D; ++c) qo += w[o * D + c] * x[c], ko += w[(D + o) * D + c] * x[c];
        q[(s * G + j) * HD + o] = qo, k[(s * G + j) * HD + o] = ko;
      }
    }
  attention_stats st;
  for (int64_t j = 0; j < G; ++j) {
    std::vector<double> a(3 * G);
    double mx = -1e300, sum = 0;
    for (int64_t t = 0; t < 3 * G; ++t) {
      double d = 0;
      for (int64_t o = 0; o < HD; ++o) d += q[(2 * G + j) * HD + o] * k[t * HD + o];
      mx = std::max(mx, a[t] = d / std::sqrt(double(HD)));
    }
    for (double& v : a) sum += v = std::exp(v - mx);
    int64_t best = 0;
    for (int64_t t = 0; t < G; ++t)
      if (a[G + t] > a[G + best]) best = t;
    st.matched += (best == j) / double(G);
    st.same_place += (a[j] + a[G + j] + a[2 * G + j]) / sum / double(G);
  }
  return st;
}
}  // namespace

TEST_CASE("position heads: off changes no value, and on, head 0 reads the prompt label at its own position", "[nn]") {
  const model_t plain(3, init_scheme::mae), off(3, init_scheme::mae, {0}), on(3, init_scheme::mae, {1});
  REQUIRE(plain.parameters().values().to_host() == off.parameters().values().to_host());

  const auto before = head0(plain), after = head0(on);
  INFO("MAE init: matched " << before.matched << ", same-place mass " << before.same_place << "; with a position head: "
                            << after.matched << ", " << after.same_place);
  CHECK(before.matched < 0.3);
  CHECK(before.same_place < 0.1);
  CHECK(after.matched == 1.0);
  CHECK(after.same_place > 0.6);

  // Only pos_embed and the q/k rows of head 0 change; head 1's q rows and every v row stay MAE's.
  const auto w0 = plain.parameters()["blocks.3.attn.qkv.weight"].value().to_host(),
             w1 = on.parameters()["blocks.3.attn.qkv.weight"].value().to_host();
  for (int64_t c = 0; c < D; ++c) {
    CHECK(w0[(HD + 1) * D + c] == w1[(HD + 1) * D + c]);
    CHECK(w0[(2 * D + 5) * D + c] == w1[(2 * D + 5) * D + c]);
  }
  REQUIRE_THROWS_WITH(model_t(0, init_scheme::mae, {4}), Catch::Contains("the model has 3 heads"));
}
