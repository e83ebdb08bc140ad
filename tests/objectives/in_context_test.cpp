// Proof that the in-context path learns: "color the region the prompt colored". Every sample has
// a disk at a random place; its label is the disk in a gray level drawn per sample by random
// coloring, shared by prompt and query label. The color can only come from the prompt, and
// the position only from the query, so copying the prompt label scores poorly. After 1500
// autoregressive steps a small model must beat that baseline on held-out samples, AND carry the
// prompt's color into the query (1500 steps; ≈ 40 s on one core).
// A second case checks the position-matched path that multi-class segmentation needs: with X = Px,
// the query label is the prompt label, cell by cell, in per-sample random colors.
#include <catch2/catch.hpp>

#include "mvg/backend/cpu/cpu.hpp"
#include "support/toy_model.hpp"
#include "mvg/eval/segmentation.hpp"
#include "mvg/objectives/autoregressive.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/inference.hpp"
#include "mvg/optim/adamw.hpp"
#include "mvg/optim/lr_schedule.hpp"

using namespace mvg;
using namespace mvg::objectives;

namespace {
using model_t = test::toy_model;

struct toy {
  data::image2d<float> image;
  label_map label;
};
toy draw(rng& g) {
  toy t{xt::zeros<float>({16, 16}), xt::zeros<std::uint8_t>({16, 16})};
  const double cx = g.uniform(4, 12), cy = g.uniform(4, 12), r = g.uniform(2.5, 4.5);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const bool in = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
      t.image(y, x) = static_cast<float>(0.25 + 0.1 * g.uniform() + (in ? 0.45 : 0.0));
      t.label(y, x) = in ? 1 : 0;
    }
  return t;
}
// One colored sample; the mapping is drawn once and shared by the prompt and query labels.
sample make(rng& g, color_mapping* map_out = nullptr, toy* prompt_out = nullptr, toy* query_out = nullptr) {
  const toy p = draw(g), q = draw(g);
  const auto map = random_mapping({1}, g, palette{4, 0.25f});
  sample s;
  s.prompt_images = {p.image};
  s.prompt_labels = {colorize(p.label, map)};
  s.query = q.image;
  s.target = colorize(q.label, map);
  s.weighted = true;
  if (map_out) *map_out = map;
  if (prompt_out) *prompt_out = p;
  if (query_out) *query_out = q;
  return s;
}
}  // namespace

TEST_CASE("a small model learns the in-context task and beats copying the prompt label", "[train][slow]") {
  test::one_thread single;
  model_t m(0);
  optim::adamw<float, cpu> opt(m.parameters());
  const int steps = 1500, batch = 8;
  optim::warmup_cosine lr{1e-3, 50, steps, 1e-5};
  ar_objective ar;
  rng train(1);
  for (int step = 0; step < steps; ++step) {
    std::vector<sample> b;
    for (int i = 0; i < batch; ++i) b.push_back(make(train));
    m.parameters().zero_grad();
    autograd::backward(ar(m, b, train));
    opt.step(lr(step));
  }
  // Held-out samples from another seed; both methods decoded with the prompt's colors.
  rng test(99);
  eval::confusion_matrix model_cm(2), copy_cm(2);
  double color_error = 0;
  const int n_test = 32;
  for (int i = 0; i < n_test; ++i) {
    color_mapping map;
    toy p, q;
    const sample s = make(test, &map, &p, &q);
    const auto pred = predict(m, std::vector<sample>{s}, inference_mode::autoregressive)[0];
    model_cm.add(decode(pred, map), q.label);
    copy_cm.add(decode(s.prompt_labels[0], map), q.label);
    // Inside the disk the prediction must carry the prompt's color, not a fixed one.
    double in = 0, count = 0;
    for (std::size_t k = 0; k < pred.size(); ++k)
      if (q.label.flat(k)) {
        in += pred.flat(k);
        ++count;
      }
    color_error += std::abs(in / count - map.color_of(1)) / n_test;
  }
  const double model_iou = model_cm.mean_iou(), copy_iou = copy_cm.mean_iou();
  INFO("mIoU model " << model_iou << " vs copy-the-prompt-label " << copy_iou << "; mean color error "
                     << color_error);
  REQUIRE(model_iou > copy_iou + 0.2);
  // Palette levels are 0.25 apart: a fixed guess scores ≈ 0.25 here; only the prompt's color gets close.
  REQUIRE(color_error < 0.08);
}

namespace {
// Four Voronoi cells at random centers: classes 0 (background) to 3, the image a gray level per class.
toy draw_cells(rng& g) {
  toy t{xt::zeros<float>({16, 16}), xt::zeros<std::uint8_t>({16, 16})};
  double cx[4], cy[4];
  for (int k = 0; k < 4; ++k) cx[k] = g.uniform(0, 16), cy[k] = g.uniform(0, 16);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      auto d2 = [&](int k) { return (x - cx[k]) * (x - cx[k]) + (y - cy[k]) * (y - cy[k]); };
      int best = 0;
      for (int k = 1; k < 4; ++k)
        if (d2(k) < d2(best)) best = k;
      t.label(y, x) = static_cast<std::uint8_t>(best);
      t.image(y, x) = static_cast<float>(0.2 + 0.2 * best + 0.05 * g.uniform());
    }
  return t;
}
sample copy_sample(rng& g) {
  const toy t = draw_cells(g);
  const auto map = random_mapping({1, 2, 3}, g);  // three distinct levels of the default 16-level palette
  sample s;
  s.prompt_images = {t.image};
  s.prompt_labels = {colorize(t.label, map)};
  s.query = t.image;
  s.target = s.prompt_labels[0];
  s.weighted = true;
  return s;
}
}  // namespace

// The AR model sees [Px, Py, X]; its prediction at Px (for Py) has no context, its prediction at X (for
// Y = Py) can copy Py. Only a model whose query tokens learn to read the prompt label at their own
// position gets the second below the first. Under the timm init scheme this failed completely (both
// L1 equal, an input-independent output, over 3 seeds); the mae scheme passes (docs/design.md, "init").
namespace {
constexpr config wide{.image_size = 16, .patch = 4, .embed_dim = 64, .depth = 4, .heads = 2, .mlp_ratio = 2,
                      .decoder_channels = 8};
// Mean L1 over 32 held-out samples of the prediction of Py from Px alone (no context) and of Y = Py from
// [Px, Py, X] (in context), after `steps` AR steps at lr 1e-3.
std::pair<double, double> copy_task_l1(model<wide, cpu>& m, int steps) {
  optim::adamw<float, cpu> opt(m.parameters());
  optim::warmup_cosine lr{1e-3, 50, steps, 1e-5};
  ar_objective ar;
  rng train(1);
  for (int step = 0; step < steps; ++step) {
    std::vector<sample> b;
    for (int i = 0; i < 8; ++i) b.push_back(copy_sample(train));
    m.parameters().zero_grad();
    autograd::backward(ar(m, b, train));
    opt.step(lr(step));
  }
  rng test(99);
  std::vector<sample> held;
  for (int i = 0; i < 32; ++i) held.push_back(copy_sample(test));
  const auto pixels = sequence_pixels<float, cpu>(held, 16, false);
  const auto pred =
      m.forward(pixels, sequence_roles(1, 3), nullptr, attention_kind::block_causal, {0, 2}).value().to_host();
  double no_context = 0, in_context = 0;
  for (std::size_t b = 0; b < held.size(); ++b)
    for (std::size_t i = 0; i < 256; ++i) {
      no_context += std::abs(pred[(2 * b) * 256 + i] - held[b].prompt_labels[0].flat(i));
      in_context += std::abs(pred[(2 * b + 1) * 256 + i] - held[b].target.flat(i));
    }
  return {no_context / (32 * 256), in_context / (32 * 256)};
}
}  // namespace

TEST_CASE("a small model learns to copy the prompt label position by position", "[train][slow]") {
  test::one_thread single;
  model<wide, cpu> m(0, init_scheme::mae);
  const auto [no_context, in_context] = copy_task_l1(m, 800);
  INFO("mean L1: prediction of Py from Px " << no_context << ", of Y from [Px, Py, X] " << in_context);
  REQUIRE(in_context < 0.7 * no_context);
}

// Position heads (nn/position_heads.hpp) give the model the match from step 0: in half the steps of the
// case above it must copy well, and far better than MAE's init alone in the same steps (measured: L1
// 0.119 against 0.235 for seed 0, 0.093 against 0.238 for seed 1).
TEST_CASE("position heads: the copy is learned in half the steps", "[train][slow]") {
  test::one_thread single;
  model<wide, cpu> plain(0, init_scheme::mae), heads(0, init_scheme::mae, {1});
  const auto [plain_none, plain_in] = copy_task_l1(plain, 400);
  const auto [heads_none, heads_in] = copy_task_l1(heads, 400);
  INFO("400 steps, mean L1 no context / in context: MAE init " << plain_none << " / " << plain_in
       << "; with a position head " << heads_none << " / " << heads_in);
  CHECK(heads_in < 0.6 * heads_none);
  CHECK(heads_in < 0.6 * plain_in);
}
