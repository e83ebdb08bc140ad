// The model as an evaluation method, and its prompt ablation: with blank_prompt_labels the model sees
// every prompt label as background, decodes with the real prompt's color mapping, and so cannot
// depend on where the prompt's labels lie.
#include <catch2/catch.hpp>

#include "data/support.hpp"
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/eval/model_methods.hpp"
#include "mvg/nn/model.hpp"

using namespace mvg;

namespace {
// A small model at the benchmark's 64²: untrained, its answers still depend on every input.
constexpr config cfg{.image_size = 64, .patch = 8, .embed_dim = 32, .depth = 4, .heads = 2, .mlp_ratio = 2,
                     .decoder_channels = 8};
}  // namespace

TEST_CASE("prompt ablation: the blank-prompt method ignores the prompt's label pixels, the model does not",
          "[eval][benchmark]") {
  const model<cfg, cpu> m(3, init_scheme::mae);
  const auto& set = mvg_test::bench().set("S1");
  const auto& task = set.tasks[0];
  auto qs = eval::segmentation_queries(set, task, {.prompts = 1, .max_queries = 4});
  REQUIRE(qs.size() == 4);
  // The same queries with each prompt label moved by 6 rows: the same classes, other pixels.
  std::vector<data::seg_sample> moved;
  moved.reserve(qs.size());
  for (const auto& q : qs) {
    data::seg_sample p = *q.prompts[0];
    p.label = xt::zeros<std::uint8_t>(p.label.shape());
    for (std::size_t r = 6; r < 64; ++r)
      for (std::size_t c = 0; c < 64; ++c) p.label(r, c) = q.prompts[0]->label(r - 6, c);
    moved.push_back(std::move(p));
  }
  auto qs_moved = qs;
  for (std::size_t i = 0; i < qs.size(); ++i) qs_moved[i].prompts[0] = &moved[i];

  eval::model_method_options o;
  auto blank = o;
  blank.blank_prompt_labels = true;
  const auto normal = eval::model_segmenter(m, o), ablated = eval::model_segmenter(m, blank);
  auto same = [](const std::vector<eval::label_image>& a, const std::vector<eval::label_image>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!mvg_test::same(a[i], b[i])) return false;
    return true;
  };
  // The model's answer depends on the prompt label; the ablation's does not.
  CHECK_FALSE(same(normal(qs), normal(qs_moved)));
  CHECK(same(ablated(qs), ablated(qs_moved)));
  CHECK_FALSE(same(normal(qs), ablated(qs)));
}

TEST_CASE("model segmenter: binary coloring is mvg_infer's one pass per class, per-class passes at random levels, "
          "pre-defined uses the class table",
          "[eval][benchmark][coloring]") {
  const model<cfg, cpu> m(5, init_scheme::mae);
  const auto& set = mvg_test::bench().set("S2-lobes");
  const auto& task = set.tasks[0];
  const auto qs = eval::segmentation_queries(set, task, {.prompts = 1, .max_queries = 3});
  REQUIRE(qs.size() == 3);
  eval::model_method_options o;
  o.coloring = objectives::coloring_scheme::binary;
  const auto binary = eval::model_segmenter(m, o)(qs);
  for (std::size_t i = 0; i < qs.size(); ++i) {
    rng unused(0);
    const auto one = objectives::segment(m, {qs[i].prompt_image(0)}, {qs[i].prompt_label(0)}, qs[i].image(),
                                         objectives::coloring_scheme::binary, unused);
    // Other batches, other rounding in the products: equal but for a few pixels at a decision boundary.
    std::size_t differ = 0;
    for (std::size_t k = 0; k < one.size(); ++k) differ += one.flat(k) != binary[i].flat(k);
    CHECK(differ <= one.size() / 100);
  }
  // Random levels, one class per pass: a multi-class prompt is answered otherwise than in one pass, while a
  // single-class task (S1) is answered exactly as in one pass (same level drawn, same decision).
  eval::model_method_options one_pass, per_class;
  per_class.one_class_per_pass = true;
  const auto split = eval::model_segmenter(m, per_class)(qs), whole = eval::model_segmenter(m, one_pass)(qs);
  bool split_differs = false;
  for (std::size_t i = 0; i < qs.size(); ++i) split_differs = split_differs || !mvg_test::same(split[i], whole[i]);
  CHECK(split_differs);
  // mvg_infer --coloring per-class is the same passes: segment() given the generator model_segmenter seeds
  // for the query draws the same levels.
  for (std::size_t i = 0; i < qs.size(); ++i) {
    rng g(per_class.seed ^ (0x9E3779B97F4A7C15ull * (qs[i].index + 1)) ^
          std::hash<std::string>{}(set.name + "/" + task.name));
    const auto one = objectives::segment(m, {qs[i].prompt_image(0)}, {qs[i].prompt_label(0)}, qs[i].image(),
                                         objectives::coloring_scheme::random, g,
                                         objectives::inference_mode::autoregressive, true);
    std::size_t differ = 0;
    for (std::size_t k = 0; k < one.size(); ++k) differ += one.flat(k) != split[i].flat(k);
    CHECK(differ <= one.size() / 100);
  }
  const auto& s1 = mvg_test::bench().set("S1");
  const auto s1_qs = eval::segmentation_queries(s1, s1.tasks[0], {.prompts = 1, .max_queries = 3});
  const auto s1_split = eval::model_segmenter(m, per_class)(s1_qs), s1_whole = eval::model_segmenter(m, one_pass)(s1_qs);
  for (std::size_t i = 0; i < s1_qs.size(); ++i) CHECK(mvg_test::same(s1_split[i], s1_whole[i]));
  o.coloring = objectives::coloring_scheme::predefined;
  CHECK_THROWS_WITH(eval::model_segmenter(m, o), Catch::Contains("without the model's class table"));
  o.predefined = objectives::predefined_colors::of(mvg_test::bench());
  const auto fixed = eval::model_segmenter(m, o)(qs);
  o.coloring = objectives::coloring_scheme::random;
  const auto random = eval::model_segmenter(m, o)(qs);
  bool differs = false;
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const auto present = objectives::classes_present(qs[i].prompt_label(0));
    for (auto v : fixed[i]) REQUIRE((v == 0 || std::count(present.begin(), present.end(), int(v)) == 1));
    differs = differs || !mvg_test::same(fixed[i], random[i]);
  }
  CHECK(differs);  // the colors the model is shown decide its answer
}

TEST_CASE("model segmenter: test-time mirroring answers a mirrored scan with the mirrored answer, one pass does not",
          "[eval][benchmark]") {
  const model<cfg, cpu> m(7, init_scheme::mae);
  const auto& set = mvg_test::bench().set("S2-lobes");
  // The same set mirrored left to right, images and labels.
  data::benchmark_set mirrored = set;
  for (auto& img : mirrored.images) img = xt::eval(xt::flip(img, 1));
  for (auto& t : mirrored.tasks)
    for (auto* pool : {&t.train, &t.support, &t.test})
      for (auto& smp : *pool) smp.label = xt::eval(xt::flip(smp.label, 1));
  const auto qs = eval::segmentation_queries(set, set.tasks[0], {.prompts = 1, .max_queries = 3});
  const auto qs_m = eval::segmentation_queries(mirrored, mirrored.tasks[0], {.prompts = 1, .max_queries = 3});
  REQUIRE(qs.size() == 3);
  eval::model_method_options plain;
  plain.one_class_per_pass = true;
  auto tta = plain;
  tta.mirror = true;
  // Pixels where the answer to the mirrored scan, mirrored back, differs from the answer to the scan.
  auto differing = [&](const eval::model_method_options& o) {
    const auto a = eval::model_segmenter(m, o)(qs), b = eval::model_segmenter(m, o)(qs_m);
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const eval::label_image back = xt::flip(b[i], 1);
      for (std::size_t k = 0; k < back.size(); ++k) n += back.flat(k) != a[i].flat(k);
    }
    return n;
  };
  // Averaging a pass with its mirror makes the answer mirror-equivariant (up to the last bits of products
  // batched in another order); a single pass of an untrained model is not.
  CHECK(differing(tta) <= 3 * 64 * 64 / 1000);
  CHECK(differing(plain) > 3 * 64 * 64 / 100);
  // Mirroring changes the answer itself.
  const auto a = eval::model_segmenter(m, plain)(qs), b = eval::model_segmenter(m, tta)(qs);
  bool changed = false;
  for (std::size_t i = 0; i < a.size(); ++i) changed |= !mvg_test::same(a[i], b[i]);
  CHECK(changed);
}

TEST_CASE("model segmenter: calibrated decoding reads labelled prompt-pool slices only, never the query's label",
          "[eval][benchmark]") {
  const model<cfg, cpu> m(9, init_scheme::mae);
  const auto& set = mvg_test::bench().set("S2-lobes");
  const auto qs = eval::segmentation_queries(set, set.tasks[0], {.prompts = 1, .max_queries = 3});
  REQUIRE(qs.size() == 3);
  // The calibration prompt: another slice of the prompt's volume, as far from the prompt as the query is.
  for (const auto& q : qs) {
    const auto* c = eval::detail::calibration_prompt(q);
    REQUIRE(c != nullptr);
    CHECK(c != q.prompts[0]);
    const auto want = std::abs(double(q.query->slice) - double(q.prompts[0]->slice));
    for (const auto& s : q.task->prompt_pool())
      if (&s != q.prompts[0])
        CHECK(std::abs(std::abs(double(c->slice) - double(q.prompts[0]->slice)) - want) <=
              std::abs(std::abs(double(s.slice) - double(q.prompts[0]->slice)) - want));
  }
  eval::model_method_options o;
  o.one_class_per_pass = true;
  auto cal = o;
  cal.calibrate = true;
  // The same queries with their truth erased: the calibrated answer is unchanged.
  std::vector<data::seg_sample> erased;
  erased.reserve(qs.size());
  for (const auto& q : qs) {
    erased.push_back(*q.query);
    erased.back().label.fill(0);
  }
  auto qs_erased = qs;
  for (std::size_t i = 0; i < qs.size(); ++i) qs_erased[i].query = &erased[i];
  const auto a = eval::model_segmenter(m, cal)(qs), b = eval::model_segmenter(m, cal)(qs_erased);
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(mvg_test::same(a[i], b[i]));
  // It moves the line: another answer than the nearest color's.
  const auto plain = eval::model_segmenter(m, o)(qs);
  bool changed = false;
  for (std::size_t i = 0; i < a.size(); ++i) changed |= !mvg_test::same(a[i], plain[i]);
  CHECK(changed);
  // One pass per class and one prompt pair, or a clear error.
  auto one_pass = cal;
  one_pass.one_class_per_pass = false;
  CHECK_THROWS_WITH(eval::model_segmenter(m, one_pass)(qs), Catch::Contains("one pass per class"));
  const auto two = eval::segmentation_queries(set, set.tasks[0], {.prompts = 2, .max_queries = 1});
  CHECK_THROWS_WITH(eval::model_segmenter(m, cal)(two), Catch::Contains("one prompt pair"));
}
