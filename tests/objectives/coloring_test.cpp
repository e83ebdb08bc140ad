#include <catch2/catch.hpp>

#include <set>

#include "mvg/objectives/coloring.hpp"

using namespace mvg;
using namespace mvg::objectives;

namespace {
// xtensor's operator== does not go through Catch's decomposer; compare explicitly.
template <class A, class B>
bool same(const A& a, const B& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}
label_map random_labels(uint64_t seed, int classes) {
  rng g(seed);
  label_map l = xt::zeros<std::uint8_t>({24, 24});
  for (auto& v : l) v = static_cast<std::uint8_t>(g.below(classes + 1));
  return l;
}
}  // namespace

TEST_CASE("random coloring round-trips exactly and is shared by prompt and query", "[coloring]") {
  const label_map prompt = random_labels(1, 5), query = random_labels(2, 5);
  rng g(7);
  const auto map = random_mapping(classes_present(prompt), g);
  REQUIRE(same(decode(colorize(prompt, map), map), prompt));
  REQUIRE(same(decode(colorize(query, map), map), query));  // the same mapping colors the query label
  std::set<float> distinct;
  for (const auto& [c, v] : map.colors) {
    REQUIRE(v > 0.f);  // background keeps 0 to itself
    distinct.insert(v);
  }
  REQUIRE(distinct.size() == map.colors.size());
  // Different seeds give different mappings; the same seed the same one.
  rng a(7), b(8);
  const auto same = random_mapping(classes_present(prompt), a), other = random_mapping(classes_present(prompt), b);
  REQUIRE(same.colors == map.colors);
  REQUIRE(other.colors != map.colors);
}

TEST_CASE("pre-defined coloring follows Σ_{i<k} i·N_i + n and round-trips", "[coloring]") {
  const std::vector<int> counts = {3, 4, 2};  // three datasets
  REQUIRE(predefined_value(counts, 1, 2) == 2);
  REQUIRE(predefined_value(counts, 2, 1) == 1 * 3 + 1);
  REQUIRE(predefined_value(counts, 3, 2) == 1 * 3 + 2 * 4 + 2);
  const auto m2 = predefined_mapping(counts, 2);
  REQUIRE(m2.colors.at(1) == Approx(4.0 / 13.0));
  REQUIRE(m2.colors.at(4) == Approx(7.0 / 13.0));
  const auto m3 = predefined_mapping(counts, 3);
  REQUIRE(m3.colors.at(2) == Approx(1.0));
  // Class 1 of dataset 2 and class 1 of dataset 3 get different colors (same organ, other dataset).
  REQUIRE(m2.colors.at(1) != m3.colors.at(1));
  const label_map l = random_labels(3, 4);
  REQUIRE(same(decode(colorize(l, m2), m2), l));
  REQUIRE_THROWS_WITH(predefined_value(counts, 2, 5), Catch::Contains("class 5 outside 1..4"));
}

TEST_CASE("binary coloring splits classes and merges predictions back exactly", "[coloring]") {
  const label_map l = random_labels(4, 3);
  const auto classes = classes_present(l);
  std::vector<color_image> preds;
  for (int c : classes) {
    const auto img = colorize(l, binary_mapping(c), true);
    for (std::size_t i = 0; i < l.size(); ++i) REQUIRE(img.flat(i) == (l.flat(i) == c ? 1.f : 0.f));
    preds.push_back(img);
  }
  REQUIRE(same(merge_binary(preds, classes), l));
}

TEST_CASE("one pass per class at its own level: scores are relative to the level, above half of it", "[coloring]") {
  // Two classes shown at 0.3 and 0.9. Pixel 0: 0.2 of 0.3 beats 0.55 of 0.9 (0.67 > 0.61); pixel 1: 0.14 of 0.3 and
  // 0.4 of 0.9 are both below half their level (background); pixel 2: 0.8 of 0.9 beats 0.25 of 0.3.
  color_image a = xt::zeros<float>({1, 3}), b = xt::zeros<float>({1, 3});
  a(0, 0) = 0.2f, b(0, 0) = 0.55f;
  a(0, 1) = 0.14f, b(0, 1) = 0.4f;
  a(0, 2) = 0.25f, b(0, 2) = 0.8f;
  const auto l = merge_per_class({a, b}, {4, 9}, {0.3f, 0.9f});
  CHECK(int(l(0, 0)) == 4);
  CHECK(int(l(0, 1)) == 0);
  CHECK(int(l(0, 2)) == 9);
  // With levels of 1 it is the binary merge, which takes the larger absolute prediction at pixel 0.
  CHECK(int(merge_per_class({a, b}, {4, 9}, {1.f, 1.f})(0, 0)) == 9);
  CHECK(same(merge_per_class({a, b}, {4, 9}, {1.f, 1.f}), merge_binary({a, b}, {4, 9})));
  // A single class decodes as the nearest of {0, level} does.
  color_mapping m;
  m.colors[4] = 0.3f;
  CHECK(same(merge_per_class({a}, {4}, {0.3f}), decode(a, m)));
  CHECK_THROWS_WITH(merge_per_class({a, b}, {4, 9}, {0.3f}), Catch::Contains("2 classes, 1 levels"));
}

TEST_CASE("decoding picks the nearest of the prompt's colors, background included", "[coloring]") {
  color_mapping m;
  m.colors[3] = 0.4f;
  m.colors[7] = 0.9f;
  color_image p = xt::zeros<float>({1, 5});
  p(0, 0) = 0.1f;
  p(0, 1) = 0.3f;
  p(0, 2) = 0.64f;
  p(0, 3) = 0.66f;
  p(0, 4) = 1.3f;
  const auto d = decode(p, m);
  REQUIRE(std::vector<int>(d.begin(), d.end()) == std::vector<int>{0, 3, 3, 7, 7});
}

TEST_CASE("a decoding threshold moves where background ends: in one pass, per class, and per class from prompt areas",
          "[coloring]") {
  color_mapping m;
  m.colors[3] = 0.4f;
  m.colors[7] = 0.9f;
  color_image p = xt::zeros<float>({1, 5});
  p(0, 0) = 0.19f, p(0, 1) = 0.3f, p(0, 2) = 0.5f, p(0, 3) = 0.7f, p(0, 4) = 0.8f;
  // 0.5: the nearest color (0.19 is background, 0.3 is class 3's); 0.8: a pixel must reach 0.8 of its nearest
  // class's level (0.3 < 0.32 and 0.5 -> class 3's 0.4 passes; 0.7 -> class 7's 0.72 does not, 0.8 does).
  const auto half = decode(p, m), high = decode(p, m, 0.8f);
  CHECK(std::vector<int>(half.begin(), half.end()) == std::vector<int>{0, 3, 3, 7, 7});
  CHECK(std::vector<int>(high.begin(), high.end()) == std::vector<int>{0, 0, 3, 0, 7});
  CHECK(same(decode(p, m, 0.5f), decode(p, m)));
  // Per class: one threshold for all is the argmax above it; a class's own higher threshold drops it.
  color_image a = xt::zeros<float>({1, 2}), b = xt::zeros<float>({1, 2});
  a(0, 0) = 0.24f, b(0, 0) = 0.6f;  // 0.8 of 0.3 and 0.67 of 0.9
  a(0, 1) = 0.1f, b(0, 1) = 0.5f;   // 0.33 and 0.56
  const auto one = merge_per_class({a, b}, {4, 9}, {0.3f, 0.9f}, 0.6f);
  CHECK(std::vector<int>(one.begin(), one.end()) == std::vector<int>{4, 0});
  CHECK(same(one, merge_per_class({a, b}, {4, 9}, {0.3f, 0.9f}, std::vector<float>{0.6f, 0.6f})));
  const auto own = merge_per_class({a, b}, {4, 9}, {0.3f, 0.9f}, std::vector<float>{0.85f, 0.5f});
  CHECK(std::vector<int>(own.begin(), own.end()) == std::vector<int>{9, 9});
  // Prompt areas: the threshold at which the prediction covers as many pixels as the prompts, within [lo, hi].
  color_image ramp = xt::zeros<float>({1, 10});
  for (int i = 0; i < 10; ++i) ramp(0, i) = 0.05f * float(i);  // 0 .. 0.45, level 0.5 -> shares 0 .. 0.9
  CHECK(prompt_area_threshold(ramp, 0.5f, 3, 0.1f, 0.95f) == Approx(0.6f));  // 0.7, 0.8, 0.9 pass
  CHECK(prompt_area_threshold(ramp, 0.5f, 8, 0.25f, 0.9f) == Approx(0.25f));  // 0.1 would be needed: lo
  CHECK(prompt_area_threshold(ramp, 0.5f, 0, 0.25f, 0.9f) == Approx(0.9f));   // nothing prompted: hi
  // The prompts' mean area per class, then the passes decode at the threshold it gives.
  label_map prompt = xt::zeros<std::uint8_t>({1, 10}), other = prompt;
  prompt(0, 0) = prompt(0, 1) = 4, other(0, 5) = other(0, 6) = other(0, 7) = other(0, 8) = 4;  // 2 and 4 pixels
  other(0, 9) = 2;
  REQUIRE(mean_prompt_pixels({2, 4}, {&prompt, &other}) == std::vector<double>{0.5, 3.0});
  REQUIRE_THROWS_WITH(mean_prompt_pixels({4}, {}), Catch::Contains("no prompt labels"));
  coloring_passes passes;
  passes.classes = {4};
  passes.maps.emplace_back().colors[4] = 0.5f;
  passes.per_class = true;
  passes.class_thresholds = {prompt_area_threshold(ramp, 0.5f, mean_prompt_pixels({4}, {&prompt, &other})[0], 0.25f, 0.9f)};
  const auto merged = passes.merge({ramp});
  CHECK(std::count(merged.begin(), merged.end(), 4) == 3);
}

TEST_CASE("calibrated threshold: the grid's threshold whose mask best matches a labelled slice", "[coloring]") {
  // Level 0.5; the prediction ramps 0 .. 0.45 over ten pixels (shares 0 .. 0.9), the label holds the top three.
  color_image ramp = xt::zeros<float>({1, 10});
  for (int i = 0; i < 10; ++i) ramp(0, i) = 0.05f * float(i);
  label_map truth = xt::zeros<std::uint8_t>({1, 10});
  truth(0, 7) = truth(0, 8) = truth(0, 9) = 2;
  const auto grid = calibration_grid();
  REQUIRE(grid.front() == Approx(0.25f));
  REQUIRE(grid.back() == Approx(0.85f));
  // Shares 0.7, 0.8, 0.9 pass any threshold in [0.6, 0.7): 0.6 and 0.65 tie at IoU 1; the nearer to 0.5 wins.
  CHECK(calibrated_threshold(ramp, 0.5f, truth, 2, grid) == Approx(0.6f));
  // Another class than the label's: no threshold overlaps it; the emptiest mask (0.85) keeps IoU 0 as all
  // do, and the tie goes to the one nearest 0.5.
  CHECK(calibrated_threshold(ramp, 0.5f, truth, 5, grid) == Approx(0.5f));
  // Nothing labelled and nothing predicted above any threshold: 0.5.
  CHECK(calibrated_threshold(xt::zeros<float>({1, 10}), 0.5f, truth, 5, grid) == Approx(0.5f));
  CHECK_THROWS_WITH(calibrated_threshold(ramp, 0.5f, label_map(xt::zeros<std::uint8_t>({1, 9})), 2, grid),
                    Catch::Contains("10 predicted and 9 labelled pixels"));
}
