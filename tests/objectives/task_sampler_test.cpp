// The trainer's one interface: every task kind drawn from the real benchmark as colored in-context
// samples of the training split, usable by both objectives.
#include <catch2/catch.hpp>
#include <set>

#include "data/support.hpp"
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/objectives/hybrid.hpp"
#include "mvg/objectives/task_sampler.hpp"

using namespace mvg;
using namespace mvg::objectives;

namespace {
const data::image_task_set& image_tasks() {
  data::image_task_options o;
  o.image_size = 64;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.tasks = {"D2-5", "inpaint-ch2", "X1-b0-to-b1500", "D3"};
  return *data::cached_image_tasks(o);
}
const data::benchmark& seg_sets() {
  data::benchmark_options o;
  o.image_size = 64;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.sets = {"S1", "S2-lobes", "U2"};
  return *data::cached_benchmark(o);
}
}  // namespace

TEST_CASE("task sampler draws every kind from the training split, colored consistently", "[objectives][data]") {
  task_sampler s(seg_sets(), image_tasks(), {.prompt_pairs = 2, .max_prompt_distance = 12});
  const auto avail = s.available();
  for (bool a : avail) REQUIRE(a);
  rng g(1);
  for (int k = 0; k < task_kinds; ++k) {
    const auto kind = static_cast<task_kind>(k);
    for (int i = 0; i < 20; ++i) {
      const sample smp = s.draw(kind, g);
      REQUIRE(smp.kind == kind);
      REQUIRE(smp.pairs() == 2);
      REQUIRE(smp.query.shape()[0] == 64);
      REQUIRE(smp.target.shape()[1] == 64);
      if (kind != task_kind::segmentation) continue;
      // Labels are colored: every value is background or exactly one of the palette's levels.
      const palette pal;
      for (const auto* img : {&smp.target, &smp.prompt_labels[0], &smp.prompt_labels[1]})
        for (float c : std::set<float>(img->begin(), img->end())) {
          bool level = c == 0.f;
          for (int i = 0; i < pal.levels; ++i) level = level || c == pal.level(i);
          REQUIRE(level);
        }
      REQUIRE(smp.weighted);
      REQUIRE_FALSE(std::equal(smp.query.begin(), smp.query.end(), smp.prompt_images[0].begin()));
    }
  }
}

TEST_CASE("task sampler never trains on test-only sets or test slices", "[objectives][data]") {
  const auto& b = seg_sets();
  // Draws only come from train pools: their queries are never test images (U2 is test-only).
  task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12});
  rng g(2);
  for (int i = 0; i < 200; ++i) {
    const sample smp = s.draw(task_kind::segmentation, g);
    for (const auto& set : b.sets)
      for (const auto& t : set.tasks)
        for (const auto& q : t.test)
          REQUIRE_FALSE(std::equal(smp.query.begin(), smp.query.end(), set.image(q).begin()));
  }
}

TEST_CASE("sampled batches feed both objectives", "[objectives][data]") {
  constexpr config cfg{.image_size = 64, .patch = 8, .embed_dim = 16, .depth = 4, .heads = 2, .mlp_ratio = 2,
                       .decoder_channels = 4};
  model<cfg, cpu> m(0);
  task_sampler s(seg_sets(), image_tasks());
  hybrid<> h;
  rng g(3);
  for (auto kind : {task_kind::segmentation, task_kind::inpainting}) {
    const auto batch = s.draw_batch(kind, 2, g);
    autograd::no_grad ng;
    for (auto o : {objective_kind::autoregressive, objective_kind::mim}) {
      const float l = h.loss(m, batch, o, g).value().item();
      REQUIRE(std::isfinite(l));
      REQUIRE(l > 0.f);
    }
  }
}

TEST_CASE("task sampler draws a training set uniformly, then one of its tasks", "[objectives][data]") {
  // S3 has 32 binary tasks, S1 one: drawing (set, task) pairs uniformly would give S1 1 draw in 33.
  data::benchmark_options o;
  o.image_size = 64;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.sets = {"S1", "S3"};
  const auto& b = *data::cached_benchmark(o);
  REQUIRE(b.set("S3").tasks.size() > 10);
  task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12});
  rng g(4);
  std::size_t s1 = 0;
  std::set<std::string> s3_tasks;
  const int draws = 400;
  for (int i = 0; i < draws; ++i) {
    const std::string src = s.draw(task_kind::segmentation, g).source;
    if (src.rfind("S1/", 0) == 0) ++s1;
    else if (src.rfind("S3/", 0) == 0) s3_tasks.insert(src);
    else FAIL("unexpected source " << src);
  }
  // Binomial(400, 0.5): ±5 standard deviations is 150..250.
  REQUIRE(s1 > 150);
  REQUIRE(s1 < 250);
  REQUIRE(s3_tasks.size() > 20);  // and S3's tasks are all reachable
}
