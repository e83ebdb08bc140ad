// The label-fusion baseline (mvg/eval/label_fusion_baseline.hpp) on real benchmark slices: a prompt that
// is the query itself gives its truth back (binary and multi-class), it moves a label to where a shifted
// query's image went (where copying the prompt's label does not), and on S1 it beats copy, as the
// classical method should where the image shows the structure.
#include <catch2/catch.hpp>

#include "data/support.hpp"
#include "mvg/eval/label_fusion_baseline.hpp"

using namespace mvg;

namespace {
const data::benchmark_set& set_named(const std::string& name) {
  for (const auto& s : mvg_test::bench().sets)
    if (s.name == name) return s;
  FAIL("no set " << name);
  throw;
}
double agreement(const eval::label_image& a, const eval::label_image& b) {
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a.data()[i] == b.data()[i];
  return double(same) / double(a.size());
}
}  // namespace

TEST_CASE("label fusion baseline: a query prompted with itself gets its own labels back, one without a prompt "
          "is refused",
          "[eval][label-fusion]") {
  for (const std::string name : {"S1", "S2-lobes"}) {
    INFO(name);
    const auto& set = set_named(name);
    const auto& task = set.tasks.front();
    REQUIRE(!task.test.empty());
    for (std::size_t i : {std::size_t(0), task.test.size() / 2}) {
      eval::seg_query q{&set, &task, i, {&task.test[i]}, &task.test[i]};
      const auto fused = eval::fuse_prompt_labels(q);
      CHECK(agreement(fused, q.truth()) > 0.99);
    }
  }
  const auto& s1 = set_named("S1");
  const eval::seg_query none{&s1, &s1.tasks.front(), 0, {}, &s1.tasks.front().test[0]};
  REQUIRE_THROWS_WITH(eval::fuse_prompt_labels(none), Catch::Contains("S1") && Catch::Contains("without a prompt"));
}

TEST_CASE("label fusion baseline: it follows a shifted query where copying the prompt's label does not",
          "[eval][label-fusion]") {
  const auto& set = set_named("S2-lobes");
  const auto& task = set.tasks.front();
  const auto& sample = task.test[task.test.size() / 2];
  // A query that is the sample moved 2 pixels right and 1 down (edges repeated), with its labels moved too.
  data::seg_sample moved = sample;
  auto image = set.image(sample);
  eval::gray_image moved_image = image;
  const std::size_t h = image.shape()[0], w = image.shape()[1];
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      const std::size_t fy = y >= 1 ? y - 1 : 0, fx = x >= 2 ? x - 2 : 0;
      moved_image(y, x) = image(fy, fx);
      moved.label(y, x) = sample.label(fy, fx);
    }
  data::benchmark_set shifted = set;
  moved.image = shifted.images.size();  // its own image in the set's store
  shifted.images.push_back(moved_image);
  eval::seg_query q{&shifted, &task, 0, {&sample}, &moved};
  const double fused = agreement(eval::fuse_prompt_labels(q), moved.label);
  const double copied = agreement(sample.label, moved.label);
  CHECK(fused > copied);
  CHECK(fused > 0.98);
}

TEST_CASE("label fusion baseline: it beats copying the prompt label on S1", "[eval][label-fusion]") {
  data::benchmark b;
  b.sets.push_back(set_named("S1"));
  const auto rows = eval::evaluate_segmentation(
      b, {{"label_fusion", eval::label_fusion_baseline()}, {"copy", eval::copy_prompt_label()}}, {});
  double fusion = 0, copy = 0;
  for (const auto& r : rows)
    if (r.metric == "miou") (r.method == "copy" ? copy : fusion) = r.value;
  CHECK(copy > 0.5);
  CHECK(fusion > copy + 0.05);
}
