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
// The named segmentation sets at 64² (memoised per list for the process).
const data::benchmark& seg_sets(const std::vector<std::string>& sets = {"S1", "S2-lobes", "U2"}) {
  data::benchmark_options o;
  o.image_size = 64;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.sets = sets;
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
  const auto& b = seg_sets({"S1", "S3"});
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
  std::size_t trainable = 0;  // tasks with a query and a prompt in the training slabs
  for (const auto& t : b.set("S3").tasks) trainable += t.train.size() >= 2;
  REQUIRE(trainable > 15);
  CHECK(s3_tasks.size() == trainable);  // and S3's tasks are all reachable (~200 draws over ~20 tasks)
}

TEST_CASE("task sampler never draws held-out classes, and weights sets as asked", "[objectives][data]") {
  const auto& b = seg_sets({"S1", "S3"});
  std::set<std::string> held;
  for (const auto& t : b.set("S3-held-out").tasks) held.insert("S3/" + t.name);
  REQUIRE(held.size() >= 5);
  rng g(5);
  {
    task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12});
    std::set<std::string> drawn;
    for (int i = 0; i < 600; ++i) drawn.insert(s.draw(task_kind::segmentation, g).source);
    for (const auto& h : held) CHECK(drawn.count(h) == 0);
    CHECK(drawn.size() > 15);  // S3's trained classes do come up
  }
  // S3 at weight 3, S1 at 1: S1 gets a quarter of the draws; an unknown set is an error.
  task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12, .set_weight = {{"S3", 3.0}}});
  std::size_t s1 = 0;
  const int draws = 800;
  for (int i = 0; i < draws; ++i) s1 += s.draw(task_kind::segmentation, g).source.rfind("S1/", 0) == 0;
  // Binomial(800, 0.25): mean 200, sd 12.2; ±5 sd.
  CHECK(s1 > 139);
  CHECK(s1 < 261);
  CHECK_THROWS_WITH(task_sampler(b, image_tasks(), {.set_weight = {{"S3-held-out", 1.0}}}),
                    Catch::Contains("not a training set"));
}

TEST_CASE("task sampler: prompts as far as test prompts, and independent augmentation", "[objectives][data]") {
  const auto& b = seg_sets();
  const auto& pool = b.set("S1").tasks[0].train;
  // A query and its prompt: the S1 image of a drawn sample is one of the pool's; find their slices.
  auto slice_of = [&](const data::image2d<float>& img) {
    for (const auto& smp : pool)
      if (std::equal(img.begin(), img.end(), b.set("S1").image(smp).begin())) return long(smp.slice);
    return -1L;
  };
  sampler_options so{.prompt_pairs = 1, .max_prompt_distance = 20, .min_prompt_distance = 8,
                     .set_weight = {{"S2-lobes", 0.0}}};
  task_sampler s(b, image_tasks(), so);
  rng g(6);
  std::size_t in_range = 0;
  for (int i = 0; i < 100; ++i) {
    const sample smp = s.draw(task_kind::segmentation, g);
    const long q = slice_of(smp.query), p = slice_of(smp.prompt_images[0]);
    REQUIRE(q >= 0);
    REQUIRE(p >= 0);
    const long d = std::abs(q - p);
    CHECK(d <= 20);
    in_range += d >= 8;
    if (d < 8) {  // only when the pool has no slice 8-20 away (the middle of the 14-slice slab 74-87)
      INFO("query slice " << q << ", prompt slice " << p);
      for (const auto& other : pool) CHECK_FALSE((std::abs(long(other.slice) - q) >= 8 && std::abs(long(other.slice) - q) <= 20));
    }
  }
  CHECK(in_range > 70);

  so.augment = true;
  task_sampler a(b, image_tasks(), so);
  rng g2(7);
  for (int i = 0; i < 20; ++i) {
    const sample smp = a.draw(task_kind::segmentation, g2);
    // augmented images are no longer pool images, stay in [0, 1], and labels stay colors of the mapping
    CHECK(slice_of(smp.query) == -1);
    for (float v : smp.query) REQUIRE((v >= 0.f && v <= 1.f));
    std::set<float> q(smp.target.begin(), smp.target.end()), p(smp.prompt_labels[0].begin(), smp.prompt_labels[0].end());
    CHECK(q.size() <= 2);
    CHECK(p.size() <= 2);
  }
}

TEST_CASE("task sampler: segmentation's own prompt distance leaves the image tasks' prompts as far as before",
          "[objectives][data]") {
  const auto& b = seg_sets();
  const auto& seg_pool = b.set("S1").tasks[0].train;
  const auto& img = image_tasks();
  const auto& d2 = *std::find_if(img.tasks.begin(), img.tasks.end(), [](const auto& t) { return t.name == "D2-5"; });
  auto slice_in = [](const auto& pool, auto&& image_of, const data::image2d<float>& img) {
    for (const auto& smp : pool)
      if (std::equal(img.begin(), img.end(), image_of(smp).begin())) return long(smp.slice);
    return -1L;
  };
  auto seg_image = [&](const data::seg_sample& smp) { return b.set("S1").image(smp); };
  auto clean = [](const auto& pair) { return pair.target; };
  // Both bounds at 40, then segmentation's alone at 2: its prompts come nearer, denoising's do not.
  for (std::size_t seg_distance : {std::size_t(0), std::size_t(2)}) {
    task_sampler s(b, img, {.prompt_pairs = 1, .max_prompt_distance = 40, .segmentation_prompt_distance = seg_distance,
                            .set_weight = {{"S2-lobes", 0.0}}});
    rng g(21);
    long seg_far = 0, img_far = 0;
    for (int i = 0; i < 60; ++i) {
      const sample smp = s.draw(task_kind::segmentation, g);
      const long q = slice_in(seg_pool, seg_image, smp.query), p = slice_in(seg_pool, seg_image, smp.prompt_images[0]);
      REQUIRE((q >= 0 && p >= 0));
      seg_far = std::max(seg_far, std::abs(q - p));
      const sample den = s.draw(task_kind::denoising, g);
      const long dq = slice_in(d2.train, clean, den.target), dp = slice_in(d2.train, clean, den.prompt_labels[0]);
      REQUIRE((dq >= 0 && dp >= 0));
      img_far = std::max(img_far, std::abs(dq - dp));
    }
    INFO("segmentation distance " << seg_distance);
    CHECK(img_far > 10);
    if (seg_distance == 0) CHECK(seg_far > 10);
    else CHECK(seg_far <= 2);
  }
  CHECK_THROWS_WITH(task_sampler(b, img, {.prompt_pairs = 1, .max_prompt_distance = 40, .segmentation_prompt_distance = 4,
                                          .min_prompt_distance = 8}),
                    Catch::Contains("nearest prompt distance 8 exceeds"));
}

TEST_CASE("task sampler: self prompts are the query itself, at the share asked, and cost no draw when off",
          "[objectives][data]") {
  const auto& b = seg_sets();
  auto same = [](const data::image2d<float>& a, const data::image2d<float>& c) {
    return std::equal(a.begin(), a.end(), c.begin(), c.end());
  };
  for (double share : {0.0, 0.5, 1.0}) {
    task_sampler s(b, image_tasks(), {.prompt_pairs = 2, .max_prompt_distance = 12, .self_prompt_share = share});
    rng g(11);
    int self = 0;
    const int n = 200;
    for (int i = 0; i < n; ++i) {
      const sample smp = s.draw(task_kind::segmentation, g);
      const bool is_self = same(smp.prompt_images[0], smp.query);
      // All prompt pairs or none: a self-prompted sample shows the query's own image and colored label.
      REQUIRE(is_self == same(smp.prompt_images[1], smp.query));
      if (is_self) REQUIRE(same(smp.prompt_labels[0], smp.target));
      self += is_self;
    }
    INFO("share " << share);
    CHECK(std::abs(double(self) / n - share) < 0.1);
  }
  // Share 0 draws exactly what a sampler without the option draws (older runs replay bit-exactly).
  task_sampler plain(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12});
  task_sampler zero(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12, .self_prompt_share = 0.0});
  rng g1(3), g2(3);
  for (int i = 0; i < 20; ++i) REQUIRE(same(plain.draw(task_kind::segmentation, g1).query,
                                            zero.draw(task_kind::segmentation, g2).query));
  REQUIRE_THROWS_WITH(task_sampler(b, image_tasks(), {.self_prompt_share = 1.5}), Catch::Contains("[0, 1]"));
}

TEST_CASE("task sampler: a U set's support slices train when named, its queries never do", "[objectives][data]") {
  const auto& b = seg_sets();
  const auto& u2 = b.set("U2");
  auto in = [&](const data::image2d<float>& img, const std::vector<data::seg_sample>& pool) {
    for (const auto& smp : pool)
      if (std::equal(img.begin(), img.end(), u2.image(smp).begin())) return true;
    return false;
  };
  task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 40, .set_weight = {{"S1", 0.0},
                                    {"S2-lobes", 0.0}}, .support_sets = {"U2"}});
  rng g(5);
  for (int i = 0; i < 50; ++i) {
    const sample smp = s.draw(task_kind::segmentation, g);
    bool support = false, test = false;
    for (const auto& t : u2.tasks) support |= in(smp.query, t.support), test |= in(smp.query, t.test);
    REQUIRE(support);
    REQUIRE_FALSE(test);
  }
  REQUIRE_THROWS_WITH(task_sampler(b, image_tasks(), {.support_sets = {"S1"}}), Catch::Contains("is a training set"));
  REQUIRE_THROWS_WITH(task_sampler(b, image_tasks(), {.support_sets = {"U1-parcels"}}),
                      Catch::Contains("name it in --tasks too"));
}

TEST_CASE("task sampler: binary coloring shows one class as 1, pre-defined the class table's levels",
          "[objectives][data][coloring]") {
  const auto& b = seg_sets();
  rng g(11);
  {
    task_sampler s(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12, .coloring = coloring_scheme::binary});
    bool some_foreground = false;
    for (int i = 0; i < 40; ++i) {
      const sample smp = s.draw(task_kind::segmentation, g);
      for (const auto* img : {&smp.target, &smp.prompt_labels[0]})
        for (float c : *img) REQUIRE((c == 0.f || c == 1.f));
      some_foreground = some_foreground || std::count(smp.target.begin(), smp.target.end(), 1.f) > 0;
    }
    CHECK(some_foreground);
  }
  const auto table = predefined_colors::of(b);
  sampler_options o{.prompt_pairs = 1, .max_prompt_distance = 12, .coloring = coloring_scheme::predefined};
  CHECK_THROWS_WITH(task_sampler(b, image_tasks(), o), Catch::Contains("without a class table"));
  o.predefined = table;
  task_sampler s(b, image_tasks(), o);
  std::set<float> seen;
  for (int i = 0; i < 60; ++i) {
    const sample smp = s.draw(task_kind::segmentation, g);
    const std::string set = smp.source.substr(0, smp.source.find('/'));
    std::set<float> allowed{0.f};
    for (const auto& [k, v] : table.value)
      if (k.rfind(set + "/", 0) == 0) allowed.insert(v);
    for (const auto* img : {&smp.target, &smp.prompt_labels[0]})
      for (float c : *img) {
        REQUIRE(allowed.count(c) == 1);
        seen.insert(c);
      }
  }
  CHECK(seen.size() > 3);  // S1's brain and several of S2-lobes' levels, fixed from draw to draw
}

TEST_CASE("task sampler: random-region samples at the share asked, one level on prompts and query, no draw when off",
          "[objectives][data]") {
  const auto& b = seg_sets();
  for (double share : {0.0, 0.5, 1.0}) {
    task_sampler s(b, image_tasks(), {.prompt_pairs = 2, .max_prompt_distance = 12, .synthetic_share = share});
    rng g(21);
    int synthetic = 0;
    const int n = 200;
    for (int i = 0; i < n; ++i) {
      const sample smp = s.draw(task_kind::segmentation, g);
      if (!smp.source.ends_with("/random-region")) continue;
      ++synthetic;
      // One class: one level shared by the prompts and the query, on at least the minimum of pixels each.
      std::set<float> levels;
      for (const auto* l : {&smp.target, &smp.prompt_labels[0], &smp.prompt_labels[1]}) {
        std::size_t fg = 0;
        for (float c : *l) fg += c > 0.f, levels.insert(c);
        REQUIRE(fg >= 24);
      }
      levels.erase(0.f);
      REQUIRE(levels.size() == 1);
    }
    INFO("share " << share << ": " << synthetic << " of " << n);
    // A region too small on some slice eight times over leaves the task's own class: a little under the share.
    CHECK(double(synthetic) / n <= share + 0.08);
    CHECK(double(synthetic) / n >= share * 0.8 - 0.08);
  }
  task_sampler plain(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12});
  task_sampler zero(b, image_tasks(), {.prompt_pairs = 1, .max_prompt_distance = 12, .synthetic_share = 0.0});
  rng g1(3), g2(3);
  for (int i = 0; i < 20; ++i) {
    const auto a = plain.draw(task_kind::segmentation, g1), b2 = zero.draw(task_kind::segmentation, g2);
    REQUIRE(mvg_test::same(a.target, b2.target));
  }
  REQUIRE_THROWS_WITH(task_sampler(b, image_tasks(), {.synthetic_share = -0.1}), Catch::Contains("[0, 1]"));
}
