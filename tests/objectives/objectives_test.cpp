// The objectives' contracts: no information leaks forward, losses only where they should be, AR
// trains all pairs in one pass, and the hybrid schedule draws what it is configured to.
#include <catch2/catch.hpp>
#include <cmath>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/objectives/hybrid.hpp"
#include "mvg/objectives/inference.hpp"
#include "mvg/objectives/pretrain.hpp"

using namespace mvg;
using namespace mvg::objectives;

namespace {
constexpr config cfg{.image_size = 16, .patch = 4, .embed_dim = 16, .depth = 4, .heads = 2, .mlp_ratio = 2,
                     .decoder_channels = 4};
using model_t = model<cfg, cpu>;
using fvar = model_t::var_type;

data::image2d<float> noise_image(rng& g) {
  data::image2d<float> img = xt::zeros<float>({16, 16});
  for (auto& v : img) v = static_cast<float>(g.uniform());
  return img;
}
sample make_sample(rng& g, int pairs, bool weighted = false) {
  sample s;
  for (int i = 0; i < pairs; ++i) {
    s.prompt_images.push_back(noise_image(g));
    auto l = noise_image(g);
    for (auto& v : l) v = v > 0.6f ? 0.8f : 0.f;
    s.prompt_labels.push_back(l);
  }
  s.query = noise_image(g);
  s.target = noise_image(g);
  for (auto& v : s.target) v = v > 0.6f ? 0.8f : 0.f;
  s.weighted = weighted;
  return s;
}
}  // namespace

TEST_CASE("block-causal: changing a later slot leaves every earlier slot's output bit-identical", "[objectives][leakage]") {
  model_t m(1);
  rng g(2);
  std::vector<float> px(2 * 5 * 256);
  for (auto& v : px) v = static_cast<float>(g.uniform());
  auto a = model_t::tensor_type::from_host({2, 5, 16, 16}, px);
  for (int later = 1; later < 5; ++later) {
    std::vector<float> changed = px;
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < 256; ++i) changed[(b * 5 + later) * 256 + i] = static_cast<float>(g.uniform());
    auto c = model_t::tensor_type::from_host({2, 5, 16, 16}, changed);
    autograd::no_grad ng;
    const auto ya = m.forward(a, sequence_roles(2, 5), nullptr, attention_kind::block_causal).value().to_host();
    const auto yc = m.forward(c, sequence_roles(2, 5), nullptr, attention_kind::block_causal).value().to_host();
    for (int b = 0; b < 2; ++b)
      for (int s = 0; s < 5; ++s)
        for (int i = 0; i < 256; ++i) {
          const std::size_t k = (b * 5 + s) * 256 + i;
          if (s < later) REQUIRE(ya[k] == yc[k]);  // exactly equal, not approximately
        }
    // ...and the changed slot's own output did change (the test can fail).
    bool differs = false;
    for (int i = 0; i < 256; ++i) differs |= ya[later * 256 + i] != yc[later * 256 + i];
    REQUIRE(differs);
  }
}

TEST_CASE("MIM: the loss gradient w.r.t. unmasked target pixels is exactly 0", "[objectives][leakage]") {
  model_t m(1);
  rng g(3);
  std::vector<sample> batch = {make_sample(g, 1, true), make_sample(g, 1, true)};
  mim_objective mim{{0.5, mask_strategy::block, false}};
  rng g2(11);  // the objective's mask draws; replayed below from the same seed
  const auto staged = mim.stage(m, batch, g2);
  // The staged targets are the canvas label slots, as uploaded once.
  {
    const auto t = staged.target.to_host();
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < 256; ++i) {
        REQUIRE(t[(b * 2) * 256 + i] == batch[b].prompt_labels[0].flat(i));
        REQUIRE(t[(b * 2 + 1) * 256 + i] == batch[b].target.flat(i));
      }
  }
  fvar target(staged.target.clone(), true);
  m.parameters().zero_grad();
  autograd::current_tape().clear();
  auto loss = ops::regression_loss(staged.forward(m), target, &staged.weight, mim.loss);
  autograd::backward(loss);
  const auto grad = target.grad().to_host();
  // Recompute the masks exactly as the objective drew them (per sample, in order).
  rng g3(11);
  int masked = 0, unmasked = 0;
  for (int b = 0; b < 2; ++b) {
    const auto mb = mim_token_mask(1, cfg.grid(), mim.mask, g3);
    for (int s = 0; s < 2; ++s)  // decoded slots: the two label slots 1 and 3
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) {
          const bool is_masked = mb[(2 * s + 1) * 16 + (y / 4) * 4 + x / 4] != 0.f;
          const float gv = grad[((b * 2 + s) * 16 + y) * 16 + x];
          if (is_masked) {
            masked += gv != 0.f;
          } else {
            REQUIRE(gv == 0.f);
            ++unmasked;
          }
        }
  }
  REQUIRE(masked > 0);
  REQUIRE(unmasked > 0);
  // The objective itself computes this same loss from the same draws.
  rng g4(11);
  REQUIRE(mim(m, batch, g4).value().item() == loss.value().item());
}

TEST_CASE("MIM masks the configured fraction of label-slot tokens only", "[objectives]") {
  rng g(5);
  for (auto strategy : {mask_strategy::uniform, mask_strategy::block})
    for (double ratio : {0.5, 0.75}) {
      const auto m = mim_token_mask(2, 8, {ratio, strategy, false}, g);
      for (int s = 0; s < 6; ++s) {
        int count = 0;
        for (int i = 0; i < 64; ++i) count += m[s * 64 + i] != 0.f;
        REQUIRE(count == (s % 2 == 1 ? std::lround(ratio * 64) : 0));
      }
    }
  const auto whole = mim_token_mask(1, 8, {1.0, mask_strategy::whole_query_label, false}, g);
  for (int i = 0; i < 4 * 64; ++i) REQUIRE(whole[i] == (i >= 3 * 64 ? 1.f : 0.f));
}

TEST_CASE("AR trains all label predictions in one pass: its loss is the mean of per-pair losses", "[objectives]") {
  model_t m(2);
  rng g(4);
  std::vector<sample> batch = {make_sample(g, 2, true), make_sample(g, 2, true)};
  ar_objective ar;
  autograd::no_grad ng;
  const float one_pass = ar(m, batch, g).value().item();
  // Per pair, separately: a sequence ending at that pair's image, predicting its label.
  double separate = 0;
  for (int i = 0; i <= 2; ++i) {
    std::vector<sample> cut;
    for (const auto& s : batch) {
      sample c;
      c.weighted = true;
      for (int j = 0; j < i; ++j) {
        c.prompt_images.push_back(s.prompt_images[j]);
        c.prompt_labels.push_back(s.prompt_labels[j]);
      }
      c.query = i < 2 ? s.prompt_images[i] : s.query;
      c.target = i < 2 ? s.prompt_labels[i] : s.target;
      cut.push_back(c);
    }
    // Feed [P.., image_i] and read its slot; roles must match the full sequence's roles.
    std::vector<float> host, tgt, w;
    for (const auto& c : cut) {
      for (std::size_t j = 0; j < c.prompt_images.size(); ++j) {
        host.insert(host.end(), c.prompt_images[j].begin(), c.prompt_images[j].end());
        host.insert(host.end(), c.prompt_labels[j].begin(), c.prompt_labels[j].end());
      }
      host.insert(host.end(), c.query.begin(), c.query.end());
      tgt.insert(tgt.end(), c.target.begin(), c.target.end());
      const auto lw = label_weights(c, c.target);
      w.insert(w.end(), lw.begin(), lw.end());
    }
    const int64_t slots = 2 * i + 1;
    auto px = model_t::tensor_type::from_host({2, slots, 16, 16}, host);
    auto roles = sequence_roles(2, 5);
    roles.resize(static_cast<size_t>(slots));
    auto pred = m.forward(px, roles, nullptr, attention_kind::block_causal, {slots - 1});
    const auto wt = model_t::tensor_type::from_host({2, 1, 16, 16}, w);
    separate += ops::smooth_l1_loss(pred, fvar(model_t::tensor_type::from_host({2, 1, 16, 16}, tgt)), 0.01, &wt)
                    .value()
                    .item() /
                3.0;
  }
  REQUIRE(one_pass == Approx(separate).epsilon(1e-5));
}

TEST_CASE("AR: segmentation's no-prompt prediction weighs segmentation_first_weight, other kinds keep the mean",
          "[objectives]") {
  model_t m(2);
  rng g(5);
  std::vector<sample> batch = {make_sample(g, 1, true), make_sample(g, 1, true)};
  autograd::no_grad ng;
  auto loss = [&](float w) {
    ar_objective ar;
    ar.segmentation_first_weight = w;
    return double(ar(m, batch, g).value().item());
  };
  // One pair: L(w) = (w·l0 + l1) / (w + 1), so L(0) = l1 and l0 = 2·L(1) − L(0).
  const double l1 = loss(0.f), l0 = 2 * loss(1.f) - l1;
  REQUIRE(std::abs(l0 - l1) > 1e-4);  // the two terms differ, so the weighting is visible
  CHECK(loss(0.5f) == Approx((0.5 * l0 + l1) / 1.5).epsilon(1e-5));
  for (auto& s : batch) s.kind = task_kind::denoising;
  CHECK(loss(0.f) == loss(1.f));
}

TEST_CASE("hybrid schedule frequencies match the configured probabilities over 10,000 draws", "[objectives]") {
  hybrid<> h;
  rng g(9);
  const int n = 10000;
  int counts[task_kinds] = {}, ar[task_kinds] = {};
  for (int i = 0; i < n; ++i) {
    const auto k = h.draw_task(g);
    ++counts[int(k)];
    ar[int(k)] += h.draw_objective(k, g) == objective_kind::autoregressive;
  }
  // Binomial standard errors: ≤ 0.005 for n = 10,000; allow 4σ.
  REQUIRE(counts[0] / double(n) == Approx(0.5).margin(0.02));
  for (int k = 1; k < task_kinds; ++k) REQUIRE(counts[k] / double(n) == Approx(0.5 / 3).margin(0.016));
  REQUIRE(ar[0] == counts[0]);  // segmentation: always autoregressive
  for (int k = 1; k < task_kinds; ++k) REQUIRE(ar[k] / double(counts[k]) == Approx(0.1).margin(0.03));
  // Only segmentation and denoising available: renormalised to 0.5 / (0.5 + 1/6).
  int seg = 0;
  for (int i = 0; i < n; ++i) seg += h.draw_task(g, {true, true, false, false}) == task_kind::segmentation;
  REQUIRE(seg / double(n) == Approx(0.75).margin(0.02));
  // Seeded: the same seed repeats the draws.
  rng a(3), b(3);
  for (int i = 0; i < 100; ++i) REQUIRE(h.draw_task(a) == h.draw_task(b));
}

TEST_CASE("a task kind is inferred the way it mostly trained: AR above an AR share of 0.5", "[objectives]") {
  REQUIRE(mode_for_share(0.5) == inference_mode::mim);
  REQUIRE(mode_for_share(0.51) == inference_mode::autoregressive);
  const auto paper = modes_for_shares(hybrid_options{}.p_autoregressive);
  REQUIRE(paper == std::array{inference_mode::autoregressive, inference_mode::mim, inference_mode::mim,
                              inference_mode::mim});
  REQUIRE(modes_for_shares({1, 1, 0.1, 1})[1] == inference_mode::autoregressive);
}

TEST_CASE("inference API: AR and MIM predictions have the query size and segmentation decodes to prompt classes", "[objectives]") {
  model_t m(3);
  rng g(6);
  const auto s = make_sample(g, 1);
  for (auto mode : {inference_mode::autoregressive, inference_mode::mim}) {
    const auto p = predict(m, std::vector<sample>{s, s}, mode);
    REQUIRE(p.size() == 2);
    REQUIRE(p[0].shape()[0] == 16);
    // The same sample twice in a batch gives the same prediction, to float rounding: oneDNN's GEMM
    // may reach the two copies' rows through different kernel tails (not bit-identical, as in PyTorch).
    float diff = 0;
    for (std::size_t i = 0; i < p[0].size(); ++i) diff = std::max(diff, std::abs(p[0].data()[i] - p[1].data()[i]));
    INFO("max difference " << diff);
    REQUIRE(diff < 1e-5f);
  }
  label_map pl = xt::zeros<std::uint8_t>({16, 16});
  pl(3, 3) = 2;
  pl(5, 5) = 4;
  const auto seg = segment(m, {s.prompt_images[0]}, {pl}, s.query, coloring_scheme::random, g);
  for (auto v : seg) REQUIRE((v == 0 || v == 2 || v == 4));
  const auto bin = segment(m, {s.prompt_images[0]}, {pl}, s.query, coloring_scheme::binary, g);
  for (auto v : bin) REQUIRE((v == 0 || v == 2 || v == 4));
}

TEST_CASE("every objective takes drop-path from its generator argument, and none without one", "[objectives]") {
  constexpr config dropping{.image_size = 16, .patch = 4, .embed_dim = 16, .depth = 4, .heads = 2, .mlp_ratio = 2,
                            .decoder_channels = 4, .drop_path = 0.5};
  model<dropping, cpu> m(1);
  rng g(6);
  const std::vector<sample> batch = {make_sample(g, 1, true), make_sample(g, 1, true)};
  auto check = [&](const auto& objective, const char* name) {
    INFO(name);
    auto loss = [&](uint64_t dp_seed, bool with_drop_path) {
      rng draws(3), dp(dp_seed);  // the same mask draws every time; only drop-path varies
      return double(objective(m, batch, draws, with_drop_path ? &dp : nullptr).value().item());
    };
    // No generator: no drop-path, so the loss is the same on every call.
    REQUIRE(loss(1, false) == loss(2, false));
    // With one, blocks are dropped at random: the loss moves with the generator's seed.
    const double a = loss(1, true), b = loss(2, true), c = loss(3, true);
    REQUIRE((a != b || b != c));
    REQUIRE((a != loss(1, false) || b != loss(1, false)));
  };
  autograd::no_grad ng;
  check(ar_objective{}, "autoregressive");
  check(mim_objective{}, "masked image modeling");
  check(pretrain_objective{}, "pretraining");
}
