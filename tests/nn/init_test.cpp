// Parameter initialisation schemes. mae: pos_embed starts as MAE's 2-D sin-cos table (checked against
// MAE's numpy function, tests/reference/make_init_reference.py), Linear and patch weights are
// xavier-uniform, decoder convolutions PyTorch's default, role_embed at the sin-cos table's scale;
// a table that cannot hold the sin-cos is refused by name. timm (the default): trunc-normal(0, 0.02)
// on all of them but the patch projection, which both schemes' sources leave a Conv2d: PyTorch's
// default U(±1/√(p·p)) on its weight under timm, and on its bias under both.
#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/nn/model.hpp"
#include "support/reference.hpp"

#include <algorithm>
#include <cmath>

using namespace mvg;

namespace {
const io::safetensors_file& ref() {
  static const auto f = io::safetensors_file::read(test::reference_path("init_sincos.safetensors"));
  return f;
}

std::vector<float> host_values(const var<float, test_backend>& v) { return v.value().to_host(); }
}  // namespace

namespace {
double stddev(const std::vector<float>& v) {
  double s = 0, s2 = 0;
  for (float x : v) s += x, s2 += double(x) * x;
  const double n = double(v.size()), mean = s / n;
  return std::sqrt(s2 / n - mean * mean);
}
double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::abs(x)));
  return m;
}
// the patch Conv2d's bias at PyTorch's default: U(±1/√fan_in) with the layer's fan_in p·p = 64, not
// the bias's own 192 entries
void check_patch_bias(const model<presets::tiny, test_backend>& m) {
  const auto bias = host_values(m.parameters()["patch_embed.proj.bias"]);
  CHECK(max_abs(bias) <= 1.0 / 8);
  CHECK(stddev(bias) == Approx(1.0 / 8 / std::sqrt(3.0)).epsilon(0.12));  // 192 draws: σ of the estimate 4%
}
}  // namespace

TEST_CASE("the mae scheme: sin-cos pos_embed, xavier-uniform Linear and patch, PyTorch-default convs", "[nn][init]") {
  model<presets::tiny, test_backend> m(7, init_scheme::mae);
  const auto got = host_values(m.parameters()["pos_embed"]);
  const auto want = ref().values<double>("sincos.8x8.d192");
  REQUIRE(got.size() == want.size());
  CHECK(test::scaled_max_error(got, want) < 1e-6);
  // the table is fixed, not drawn: another seed gives the same pos_embed and different weights
  model<presets::tiny, test_backend> other(8, init_scheme::mae);
  CHECK(host_values(other.parameters()["pos_embed"]) == got);
  CHECK(host_values(other.parameters()["blocks.0.attn.qkv.weight"]) !=
        host_values(m.parameters()["blocks.0.attn.qkv.weight"]));
  // uniform(±b) has std b/√3. qkv [576, 192]: b = √(6/768); patch [192, 64]: b = √(6/256);
  // conv1 fan_in 576: b = 1/24
  const auto qkv = host_values(m.parameters()["blocks.0.attn.qkv.weight"]);
  const auto patch = host_values(m.parameters()["patch_embed.proj.weight"]);
  const auto conv1 = host_values(m.parameters()["decoder.conv1.weight"]);
  CHECK(max_abs(qkv) <= std::sqrt(6.0 / 768));
  CHECK(stddev(qkv) == Approx(std::sqrt(6.0 / 768) / std::sqrt(3.0)).epsilon(0.02));
  CHECK(max_abs(patch) <= std::sqrt(6.0 / 256));
  CHECK(stddev(patch) == Approx(std::sqrt(6.0 / 256) / std::sqrt(3.0)).epsilon(0.05));
  CHECK(max_abs(conv1) <= 1.0 / 24);
  CHECK(stddev(conv1) == Approx(1.0 / 24 / std::sqrt(3.0)).epsilon(0.02));
  check_patch_bias(m);
  // role_embed: trunc-normal(0, 1/√2) cut at ±2σ, whose std is 0.880σ; the mask token stays at 0.02
  const auto role = host_values(m.parameters()["role_embed"]);
  CHECK(max_abs(role) <= std::sqrt(2.0));
  CHECK(stddev(role) == Approx(0.880 * std::sqrt(0.5)).epsilon(0.08));
  CHECK(stddev(host_values(m.parameters()["mask_token"])) < 0.03);
}

TEST_CASE("the timm scheme (the default): trunc-normal(0, 0.02), the patch projection at PyTorch's default",
          "[nn][init]") {
  model<presets::tiny, test_backend> m(7);
  for (const char* name :
       {"pos_embed", "role_embed", "blocks.0.attn.qkv.weight", "decoder.embed.weight", "decoder.conv1.weight"}) {
    const auto v = host_values(m.parameters()[name]);
    INFO(name);
    CHECK(stddev(v) == Approx(0.02).epsilon(0.05));  // the ±2 cut is absolute (torch's), so σ stays 0.02
    CHECK(max_abs(v) < 0.15);                         // > 7σ: none at this size
  }
  // timm's init touches Linear layers only: the patch Conv2d keeps kaiming_uniform(a=√5), U(±1/8)
  const auto patch = host_values(m.parameters()["patch_embed.proj.weight"]);
  CHECK(max_abs(patch) <= 1.0 / 8);
  CHECK(stddev(patch) == Approx(1.0 / 8 / std::sqrt(3.0)).epsilon(0.02));
  check_patch_bias(m);
}

TEST_CASE("a sin-cos parameter of a 4x4 grid, 16 channels, matches MAE's", "[nn][init]") {
  param_set<float, test_backend> ps;
  ps.declare("w", shape{3, 5}, init_kind::trunc_normal, true);
  ps.declare("pos", shape{1, 16, 16}, init_kind::sincos_2d, false);
  ps.allocate();
  ps.initialize(0, init_scheme::mae);
  CHECK(test::scaled_max_error(host_values(ps["pos"]), ref().values<double>("sincos.4x4.d16")) < 1e-6);
}

TEST_CASE("a sin-cos init on a table it cannot fill names the parameter", "[nn][init]") {
  for (const shape& bad : {shape{1, 15, 16}, shape{1, 16, 6}, shape{16, 16}}) {
    param_set<float, test_backend> ps;
    ps.declare("pos_embed", bad, init_kind::sincos_2d, false);
    ps.allocate();
    CHECK_THROWS_WITH(ps.initialize(0, init_scheme::mae), Catch::Contains("'pos_embed' has shape") &&
                                            Catch::Contains("needs [1, side², D] with D divisible by 4"));
  }
}
