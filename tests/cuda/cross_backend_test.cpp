// Every op, and the whole model with AdamW, run on mvg::cpu and on mvg::cuda from the same non-zero
// inputs: values and input gradients must agree within a tolerance scaled by the dtype's epsilon.
// Built twice (tests/cuda/CMakeLists.txt): against the thrust host build of mvg::cuda (CI, no GPU)
// and, with nvcc, against the GPU (cuBLAS products, device kernels, device memory).
// In the host build mvg::cuda::gemm is Eigen's product (cpu::gemm_eigen). mvg::cpu multiplies doubles
// with the same Eigen code and floats with oneDNN's sgemm, so there the double matmul, linear and
// attention cases compare Eigen with itself (they check the layout and element-wise code around the
// products), and the float cases compare Eigen with oneDNN. Only the nvcc build tests cuBLAS.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/backend/cuda/cuda.hpp"
#include "mvg/core/random.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/ops.hpp"
#include "mvg/optim/adamw.hpp"
#include "support/reference.hpp"

using namespace mvg;
// Always spelled mvg::cuda: CCCL (thrust's library) has a top-level namespace `cuda` too.
using device_backend = mvg::cuda;

namespace {

template <class V>
struct backend_of;
template <class T, class B>
struct backend_of<var<T, B>> {
  using type = B;
};
template <class Vars>
using var_of = std::decay_t<decltype(std::declval<Vars>()[0])>;

// Non-zero inputs: normal draws pushed away from 0 so no gradient vanishes by accident.
template <class T>
std::vector<T> nonzero_values(int64_t n, uint64_t seed) {
  rng g(seed);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) {
    const double d = g.normal();
    x = static_cast<T>(d + (d >= 0 ? 0.1 : -0.1));
  }
  return v;
}

// ‖a − b‖∞ / max(‖b‖∞, 1e-3): relative to the tensor's own scale.
template <class T>
double rel_diff(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  return test::scaled_max_error(a, b, 1e-3);
}

// 512 ulps of relative error: room for a different summation order (cuBLAS vs Eigen, thrust's
// tree reduction vs a serial loop) over the longest reductions here (a few thousand terms).
template <class T>
double tolerance() {
  return 512 * double(std::numeric_limits<T>::epsilon());
}

struct outcome {
  std::vector<double> value;
  std::vector<std::vector<double>> grads;
};

// Runs build(vars) on backend B from the given host inputs, projects the output onto a fixed random
// tensor and back-propagates; returns the output and every input's gradient, as doubles.
template <class T, class B, class F>
outcome run_on(F&& build, const std::vector<shape>& shapes, uint64_t seed) {
  autograd::current_tape().clear();
  std::vector<var<T, B>> vars;
  std::vector<tensor<T, B>> grads;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    grads.push_back(tensor<T, B>::zeros(shapes[i]));
    vars.emplace_back(tensor<T, B>::from_host(shapes[i], nonzero_values<T>(shapes[i].numel(), seed + i)), grads.back());
  }
  var<T, B> out = build(vars);
  const auto proj = tensor<T, B>::from_host(out.shape(), nonzero_values<T>(out.numel(), seed + 100));
  autograd::backward(out, &proj);
  outcome r;
  for (T x : out.value().to_host()) r.value.push_back(double(x));
  for (auto& g : grads) {
    r.grads.emplace_back();
    for (T x : g.to_host()) r.grads.back().push_back(double(x));
  }
  return r;
}

template <class T, class F>
void same_on_both(const std::string& name, const std::vector<shape>& shapes, F&& build, uint64_t seed = 11) {
  INFO(name << " in " << (sizeof(T) == 4 ? "float" : "double") << " on " << device_backend::name);
  const outcome c = run_on<T, cpu>(build, shapes, seed);
  const outcome d = run_on<T, device_backend>(build, shapes, seed);
  double max_value = 0;
  for (double x : c.value) max_value = std::max(max_value, std::abs(x));
  REQUIRE(max_value > 0);  // a comparison of zeros proves nothing
  CHECK(rel_diff(d.value, c.value) <= tolerance<T>());
  for (std::size_t i = 0; i < c.grads.size(); ++i) {
    INFO("gradient of input " << i);
    double max_grad = 0;
    for (double x : c.grads[i]) max_grad = std::max(max_grad, std::abs(x));
    REQUIRE(max_grad > 0);
    CHECK(rel_diff(d.grads[i], c.grads[i]) <= tolerance<T>());
  }
}

}  // namespace

TEMPLATE_TEST_CASE("element-wise, reduction and shape ops agree across backends", "[cuda]", float, double) {
  using T = TestType;
  same_on_both<T>("add (broadcast)", {{4, 3, 5}, {3, 5}}, [](const auto& v) { return ops::add(v[0], v[1]); });
  same_on_both<T>("sub", {{4, 5}, {4, 5}}, [](const auto& v) { return ops::sub(v[0], v[1]); });
  same_on_both<T>("mul (broadcast)", {{2, 3, 4}, {1, 3, 1}}, [](const auto& v) { return ops::mul(v[0], v[1]); });
  same_on_both<T>("scale", {{7, 9}}, [](const auto& v) { return ops::scale(v[0], T(-1.5)); });
  same_on_both<T>("gelu", {{6, 33}}, [](const auto& v) { return ops::gelu(v[0]); });
  same_on_both<T>("sum over axis 1", {{3, 70, 4}}, [](const auto& v) { return ops::sum(v[0], 1); });
  same_on_both<T>("mean (all)", {{5000}}, [](const auto& v) { return ops::mean(v[0]); });
  same_on_both<T>("permute", {{2, 3, 4, 5}}, [](const auto& v) { return ops::permute(v[0], {2, 0, 3, 1}); });
  same_on_both<T>("concat + slice", {{2, 3, 4}, {2, 5, 4}},
                  [](const auto& v) { return ops::slice(ops::concat(std::vector<var_of<decltype(v)>>{v[0], v[1], v[0]}, 1), 1, 2, 9); });
  same_on_both<T>("pixel shuffle", {{2, 3, 3, 48}}, [](const auto& v) { return ops::pixel_shuffle(v[0], 4, 3); });
}

TEMPLATE_TEST_CASE("matrix, normalisation and softmax ops agree across backends", "[cuda]", float, double) {
  using T = TestType;
  same_on_both<T>("matmul batched", {{3, 17, 40}, {3, 40, 23}}, [](const auto& v) { return ops::matmul(v[0], v[1]); });
  same_on_both<T>("matmul transposed, shared b", {{2, 40, 17}, {23, 40}},
                  [](const auto& v) { return ops::matmul(v[0], v[1], true, true); });
  same_on_both<T>("linear", {{2, 9, 64}, {48, 64}, {48}}, [](const auto& v) { return ops::linear(v[0], v[1], v[2]); });
  same_on_both<T>("layer norm", {{5, 7, 96}, {96}, {96}},
                  [](const auto& v) { return ops::layer_norm(v[0], v[1], v[2]); });
  same_on_both<T>("channel layer norm", {{2, 6, 5, 7}, {6}, {6}},
                  [](const auto& v) { return ops::channel_layer_norm(v[0], v[1], v[2]); });
  same_on_both<T>("softmax", {{4, 6, 130}}, [](const auto& v) { return ops::softmax(v[0]); });
  same_on_both<T>("conv2d 3x3 pad 1", {{2, 3, 9, 11}, {5, 3, 3, 3}, {5}},
                  [](const auto& v) { return ops::conv2d(v[0], v[1], v[2], {1, 1}); });
  same_on_both<T>("conv2d 2x2 stride 2", {{2, 4, 8, 6}, {3, 4, 2, 2}},
                  [](const auto& v) { return ops::conv2d(v[0], v[1], static_cast<const var_of<decltype(v)>*>(nullptr), {2, 0}); });
  same_on_both<T>("embedding", {{10, 8}}, [](const auto& v) { return ops::embedding(v[0], {3, 0, 3, 9, 1}); });
}

TEMPLATE_TEST_CASE("attention and losses agree across backends", "[cuda]", float, double) {
  using T = TestType;
  same_on_both<T>("attention, full", {{2, 32, 3 * 24}}, [](const auto& v) { return ops::attention(v[0], 3); });
  same_on_both<T>("attention, block-causal", {{2, 32, 3 * 24}}, [](const auto& v) {
    using mask = ops::attention_mask<T, typename backend_of<var_of<decltype(v)>>::type>;
    return ops::attention(v[0], 3, mask::block_causal(8));
  });
  same_on_both<T>("smooth L1 loss", {{3, 40}, {3, 40}},
                  [](const auto& v) { return ops::smooth_l1_loss(v[0], v[1], 0.5); });
  same_on_both<T>("L2 loss", {{3, 40}, {3, 40}}, [](const auto& v) { return ops::l2_loss(v[0], v[1]); });
}

namespace {
constexpr config cross_cfg{.image_size = 16, .patch = 4, .embed_dim = 32, .depth = 4, .heads = 2, .mlp_ratio = 4,
                           .decoder_channels = 8};

// Two AdamW steps of the whole model on backend B: the losses and the final weights.
template <class B>
std::pair<std::vector<float>, std::vector<float>> train_two_steps(attention_kind kind) {
  model<cross_cfg, B> m(3);
  optim::adamw<float, B> opt(m.parameters(), {1e-3, 0.9, 0.999, 1e-8, 0.05});
  const shape px{2, 4, 16, 16}, mk{2, 4 * 16};
  const auto pixels = tensor<float, B>::from_host(px, nonzero_values<float>(px.numel(), 5));
  std::vector<float> token_mask(static_cast<size_t>(mk.numel()), 0.f);
  for (std::size_t i = 3 * 16; i < token_mask.size(); i += 3) token_mask[i] = 1.f;  // some query-label tokens
  const auto mask = tensor<float, B>::from_host(mk, token_mask);
  const var<float, B> target(tensor<float, B>::from_host(px, nonzero_values<float>(px.numel(), 6)));
  std::vector<float> losses;
  for (int step = 0; step < 2; ++step) {
    m.parameters().zero_grad();
    autograd::current_tape().clear();
    const auto pred = m.forward(pixels, sequence_roles(1, 4), kind == attention_kind::full ? &mask : nullptr, kind);
    auto loss = ops::smooth_l1_loss(pred, target, 0.01);
    losses.push_back(loss.value().item());
    autograd::backward(loss);
    opt.step(1e-3);
  }
  return {losses, m.parameters().values().to_host()};
}
}  // namespace

TEST_CASE("the whole model trains the same on both backends (forward, backward, AdamW)", "[cuda][model]") {
  for (auto kind : {attention_kind::full, attention_kind::block_causal}) {
    INFO((kind == attention_kind::full ? "full attention, masked tokens" : "block-causal attention"));
    const auto [loss_c, w_c] = train_two_steps<cpu>(kind);
    const auto [loss_d, w_d] = train_two_steps<device_backend>(kind);
    REQUIRE(loss_c[0] > 0);
    REQUIRE(loss_c[1] != loss_c[0]);  // the first step changed the weights
    for (int s = 0; s < 2; ++s) CHECK(std::abs(loss_d[s] - loss_c[s]) <= tolerance<float>() * loss_c[s]);
    CHECK(rel_diff(w_d, w_c) <= tolerance<float>());
  }
}

TEST_CASE("the device pool reuses freed blocks of the same size class", "[cuda]") {
  const auto before = device_backend::pool().statistics();
  {
    auto a = tensor<float, device_backend>::zeros(shape{1000});
  }
  const auto mid = device_backend::pool().statistics();
  {
    auto b = tensor<float, device_backend>::zeros(shape{990});  // 3960 B: the same 4096 B class as 4000 B
  }
  const auto after = device_backend::pool().statistics();
  CHECK(after.raw_allocations == mid.raw_allocations);
  CHECK(after.in_use == before.in_use);
  CHECK(after.cached >= 4096);
}
