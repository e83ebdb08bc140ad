// The pre-defined coloring's class table over the real benchmark: the paper's formula with benchmark
// sets as datasets and their class names as classes, a round trip through the checkpoint's text, and
// the errors a user meets.
#include <catch2/catch.hpp>
#include <set>

#include "data/support.hpp"
#include "mvg/objectives/predefined_colors.hpp"

using namespace mvg;
using namespace mvg::objectives;

namespace {
const data::benchmark& sets() { return mvg_test::bench(); }  // every set of the manifest, at 64²
}  // namespace

TEST_CASE("pre-defined class table: one level per class of every set, by the paper's formula", "[coloring][data]") {
  const auto& b = sets();
  const auto p = predefined_colors::of(b);
  // Datasets in load order (S1, S2-lobes, S2-regions, its held-out part, S3, …, U2), each with its distinct
  // class names.
  std::vector<int> counts;
  std::vector<std::string> names;
  for (const auto& set : b.sets) {
    std::set<std::string> cls;
    for (const auto& t : set.tasks)
      for (std::size_t c = 1; c < t.classes.size(); ++c) cls.insert(t.classes[c]);
    counts.push_back(int(cls.size()));
    names.push_back(set.name);
  }
  REQUIRE(names.size() == 11);
  REQUIRE(names[1] == "S2-lobes");
  REQUIRE(counts[1] == 8);  // the lobes, split by hemisphere
  std::size_t total = 0;
  for (int c : counts) total += std::size_t(c);
  REQUIRE(p.value.size() == total);
  std::set<float> distinct;
  for (const auto& [k, v] : p.value) {
    CHECK(v > 0.f);
    CHECK(v <= 1.f);
    distinct.insert(v);
  }
  CHECK(distinct.size() == total);  // the same class name in two sets gets two levels too
  // The last class of the last set is the largest value; S2-lobes' first class is 1·N_1 + 1 of it.
  double vmax = 0;
  for (std::size_t k = 0; k + 1 < counts.size(); ++k) vmax += double(k + 1) * counts[k];
  vmax += counts.back();
  const auto& lobes = b.set("S2-lobes").tasks[0];
  const auto m = p.mapping(b.set("S2-lobes"), lobes, {1});
  CHECK(m.color_of(1) == Approx((1.0 * counts[0] + 1) / vmax));
  CHECK(*distinct.rbegin() == Approx(1.0));
}

TEST_CASE("pre-defined class table: the checkpoint's text round-trips bit-exactly, bad text is refused",
          "[coloring][data]") {
  const auto p = predefined_colors::of(sets());
  const auto q = predefined_colors::parse(p.format(), "test");
  REQUIRE(q.value == p.value);
  CHECK_THROWS_WITH(predefined_colors::parse("S1/brain=1.5\n", "ckpt: metadata 'x'"),
                    Catch::Contains("ckpt: metadata 'x'") && Catch::Contains("not a gray level in (0, 1]"));
  CHECK_THROWS_WITH(predefined_colors::parse("S1/brain\n", "m"), Catch::Contains("is not 'set/class=value'"));
  CHECK_THROWS_WITH(predefined_colors::parse("S1/brain=0.5x\n", "m"), Catch::Contains("not a gray level"));
  CHECK_THROWS_WITH(predefined_colors::parse("", "m"), Catch::Contains("table is empty"));
  // A class the table has no level for names its set and the way out.
  predefined_colors only_s1;
  only_s1.value = {{"S1/x", 0.5f}};
  const auto& b = sets();
  CHECK_THROWS_WITH(only_s1.mapping(b.set("S2-lobes"), b.set("S2-lobes").tasks[0], {1}),
                    Catch::Contains("of set S2-lobes has no color") && Catch::Contains("--tasks"));
  CHECK_THROWS_WITH(coloring_of("rainbow", "--coloring"), Catch::Contains("--coloring: coloring 'rainbow' is not one of"));
}
