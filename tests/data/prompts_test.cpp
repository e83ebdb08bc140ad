// Prompt selection: the paper's position rule, fixed, nearest on each side, retrieval; never the query.
#include <catch2/catch.hpp>

#include "mvg/data/prompts.hpp"
#include "support.hpp"

using namespace mvg::data;

TEST_CASE("the paper's slice-position rule", "[data][prompts]") {
  CHECK(position_prompt(0, 40, 70) == 0);
  CHECK(position_prompt(39, 40, 70) == 68);  // floor(39·70/40)
  CHECK(position_prompt(20, 40, 70) == 35);
  CHECK(position_prompt(5, 10, 10) == 5);
  CHECK_THROWS(position_prompt(10, 10, 5));
  CHECK(around(0, 5, 3) == std::vector<std::size_t>{0, 1, 2});
  CHECK(around(4, 5, 3) == std::vector<std::size_t>{4, 3, 2});
  CHECK(around(2, 5, 3) == std::vector<std::size_t>{2, 3, 1});
}

TEST_CASE("nearest prompts alternate sides, retrieval finds the most similar image", "[data][prompts]") {
  const std::vector<std::size_t> pool = {11, 20, 37, 74, 87, 124};
  CHECK(nearest_slices(pool, 50, 2) == std::vector<std::size_t>{2, 3});  // 37 below, 74 above
  CHECK(nearest_slices(pool, 50, 1) == std::vector<std::size_t>{2});
  CHECK(nearest_slices(pool, 5, 2) == std::vector<std::size_t>{0, 1});   // nothing below: both above
  CHECK(nearest_slices(pool, 200, 3) == std::vector<std::size_t>{5, 4, 3});
  image2d<float> a = xt::zeros<float>({8, 8}), b = a, c = a;
  a(1, 1) = 1, b(6, 6) = 1, c(1, 1) = 0.5f, c(1, 2) = 0.1f;
  CHECK(most_similar({&a, &b}, c, 1) == std::vector<std::size_t>{0});
  CHECK(most_similar({&b, &a}, c, 2) == std::vector<std::size_t>{1, 0});
  CHECK(ncc(a, a) == Approx(1.0));
}

TEST_CASE("prompts for real queries come from the pool, never the query slice", "[data][prompts][real]") {
  const auto& b = mvg_test::bench();
  for (const char* name : {"S1", "S2-lobes", "U1-hemispheres", "U2"}) {
    const auto& set = b.set(name);
    const auto& t = set.tasks.at(0);
    INFO(name);
    for (auto rule : {prompt_rule::position, prompt_rule::fixed, prompt_rule::nearest, prompt_rule::retrieval})
      for (std::size_t q = 0; q < t.test.size(); ++q) {
        prompt_options o;
        o.rule = rule;
        o.k = 2;
        const auto p = select_prompts(set, t, q, o);
        REQUIRE(p.size() == std::min<std::size_t>(2, t.prompt_pool().size()));
        for (auto i : p) {
          REQUIRE(i < t.prompt_pool().size());
          CHECK(t.prompt_pool()[i].slice != t.test[q].slice);
        }
      }
  }
  // S1 test z 46 lies between training slabs …37 and 74…: two-sided nearest prompts are 37 and 74
  const auto& s1 = b.set("S1");
  const auto& t = s1.tasks[0];
  prompt_options o;
  o.rule = prompt_rule::nearest;
  o.k = 2;
  const auto p = select_prompts(s1, t, 0, o);
  CHECK(t.test[0].slice == 46);
  CHECK(t.train[p[0]].slice == 37);
  CHECK(t.train[p[1]].slice == 74);
  // retrieval of a test query picks an anatomically close training slice (an adjacent slab)
  o.rule = prompt_rule::retrieval;
  o.k = 1;
  const auto r = select_prompts(s1, t, 0, o);
  CHECK(std::abs(static_cast<long>(t.train[r[0]].slice) - 46) < 30);
  // a pool that contains the query is refused
  seg_task leaky = t;
  leaky.train.push_back(t.test[0]);
  CHECK_THROWS_WITH(select_prompts(s1, leaky, 0, o), Catch::Contains("both a query and a prompt"));
}
