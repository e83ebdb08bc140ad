// The benchmark sets of DATA.md built from the real scans: inventory, honest splits, labels on anatomy.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "mvg/data/benchmark/benchmark.hpp"
#include "support.hpp"

using namespace mvg::data;
using Catch::Contains;

namespace {

std::set<std::size_t> slices(const benchmark_set& set, split sp) {
  std::set<std::size_t> out;
  for (const auto& t : set.tasks)
    for (const auto& s : t.samples(sp)) out.insert(s.slice);
  return out;
}

// Distance in slices from z to the nearest member of `others` (large if empty).
std::size_t distance(std::size_t z, const std::set<std::size_t>& others) {
  std::size_t best = 1u << 30;
  for (auto o : others) best = std::min(best, z > o ? z - o : o - z);
  return best;
}

}  // namespace

TEST_CASE("the benchmark has every set of DATA.md, loads fast and is deterministic", "[data][benchmark][real]") {
  const auto t0 = std::chrono::steady_clock::now();
  const benchmark& b = mvg_test::bench(64);
  const double first = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::string> names;
  for (const auto& s : b.sets) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"S1", "S2-lobes", "S2-regions", "S2-regions-held-out", "S3", "S3-held-out",
                                          "S5-bone", "S5-head", "U1-hemispheres", "U1-parcels", "U2"});
  CHECK(first < 30.0);  // a few seconds in Release on 2 cores; generous for Debug builds
  for (const auto& set : b.sets) {
    INFO(set.name);
    CHECK(set.image_size == 64);
    CHECK_FALSE(set.tasks.empty());
    CHECK(set.count(split::test) > 0);
    CHECK(set.count(set.test_only ? split::support : split::train) > 0);
    for (const auto& img : set.images) {
      REQUIRE(img.shape() == std::array<std::size_t, 2>{64, 64});
      const auto [lo, hi] = std::minmax_element(img.begin(), img.end());
      CHECK(*lo >= 0.0f);
      CHECK(*hi <= 1.0f);
      CHECK(*hi > 0.3f);  // not an empty slice
    }
    for (const auto& t : set.tasks)
      for (auto sp : {split::train, split::support, split::test})
        for (const auto& s : t.samples(sp)) {
          CHECK(s.foreground >= 500);
          CHECK(s.label.shape() == std::array<std::size_t, 2>{64, 64});
          CHECK(*std::max_element(s.label.begin(), s.label.end()) < t.classes.size());
          CHECK(set.image_slice.at(s.image) == s.slice);
        }
  }
  // same inputs, same samples
  benchmark_options o;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.sets = {"S1"};
  const auto again = load_benchmark(o);
  const auto& s1 = b.set("S1");
  REQUIRE(again.sets.size() == 1);
  REQUIRE(again.sets[0].tasks[0].test.size() == s1.tasks[0].test.size());
  for (std::size_t i = 0; i < s1.tasks[0].test.size(); ++i) {
    CHECK(mvg_test::same(again.sets[0].tasks[0].test[i].label, s1.tasks[0].test[i].label));
    CHECK(mvg_test::same(again.sets[0].image(again.sets[0].tasks[0].test[i]), s1.image(s1.tasks[0].test[i])));
  }
}

TEST_CASE("splits are disjoint with guard gaps of at least 8 mm, U queries keep 5 slices from support",
          "[data][benchmark][real]") {
  for (const auto& set : mvg_test::bench().sets) {
    INFO(set.name);
    const auto train = slices(set, split::train), support = slices(set, split::support), test = slices(set, split::test);
    for (auto z : test) CHECK_FALSE(train.count(z));  // no test slice is trained on, in any task
    for (const auto& t : set.tasks) {                 // and within a task, no query is also a prompt
      std::set<std::size_t> pool;
      for (const auto& p : t.prompt_pool()) pool.insert(p.slice);
      for (const auto& q : t.test) CHECK_FALSE(pool.count(q.slice));
    }
    if (set.test_only) {
      CHECK(train.empty());
      for (auto z : support) CHECK(z % set.support_every == 0);
      for (auto z : test) CHECK(distance(z, support) >= 5);
      for (auto z : test) CHECK(z % set.support_every >= 5);  // ≥ 5 above every grid slice, even empty ones
    } else {
      for (auto z : test) {
        const double gap_mm = static_cast<double>(distance(z, train) - 1) * set.slice_mm;
        CHECK(gap_mm >= 8.0);
      }
      // unseen-class tasks take prompts from test-slab support slices, never the queries' own
      for (const auto& t : set.tasks)
        if (t.unseen_in_training())
          for (const auto& q : t.test) CHECK(std::min(q.slice % 10, 10 - q.slice % 10) >= 5);  // off the 10-slice grid
    }
  }
  // the slabs DATA.md names
  const auto& s1 = mvg_test::bench().set("S1");
  const auto s1_test = slices(s1, split::test), s1_train = slices(s1, split::train);
  CHECK(*s1_test.begin() == 46);
  CHECK(*s1_test.rbegin() == 115);
  CHECK(s1_test.size() == 40);
  CHECK(s1_train.count(37));
  CHECK(s1_train.count(74));
  CHECK_FALSE(s1_train.count(38));
  CHECK_FALSE(s1_train.count(45));
  const auto s5 = slices(mvg_test::bench().set("S5-head"), split::test);
  CHECK(*s5.begin() == 58);
  CHECK(*s5.rbegin() == 105);  // head ≥ 500 px only on z 0–105
  CHECK(*slices(mvg_test::bench().set("S5-head"), split::train).rbegin() == 49);
  CHECK(mvg_test::bench().set("S5-head").slice_mm == Approx(1.5));
  const auto& u2 = mvg_test::bench().set("U2");
  const auto u2_all = [&] { auto a = slices(u2, split::support); auto t = slices(u2, split::test); a.insert(t.begin(), t.end()); return a; }();
  CHECK(*u2_all.begin() >= 4);  // brain ≥ 500 voxels on axis-2 indices 4–57 only
  CHECK(*u2_all.rbegin() <= 57);
  CHECK(u2.slice_mm == Approx(3.0));
}

TEST_CASE("AAL lobes land on the anatomy: cerebellum inferior, frontal anterior, left/right as RAS says",
          "[data][benchmark][real]") {
  const auto& set = mvg_test::bench().set("S2-lobes");
  const auto& t = set.tasks.at(0);
  REQUIRE(t.classes.at(8) == "cerebellum");
  REQUIRE(t.classes.at(1) == "frontal");
  std::size_t cereb_lo = 0, cereb_hi = 0;
  double frontal_row = 0, occipital_row = 0, frontal_n = 0, occipital_n = 0;
  for (auto sp : {split::train, split::test})
    for (const auto& s : t.samples(sp)) {
      std::size_t cereb = 0;
      for (std::size_t r = 0; r < 64; ++r)
        for (std::size_t c = 0; c < 64; ++c) {
          const auto k = s.label(r, c);
          cereb += k == 8;
          if (k == 1) frontal_row += static_cast<double>(r), frontal_n += 1;
          if (k == 4) occipital_row += static_cast<double>(r), occipital_n += 1;
        }
      (s.slice < 80 ? cereb_lo : cereb_hi) += cereb;
    }
  CHECK(cereb_lo > 2000);  // cerebellum in the inferior slices (AAL: z 10–79)
  CHECK(cereb_hi == 0);    // never above
  REQUIRE(frontal_n > 0);
  REQUIRE(occipital_n > 0);
  CHECK(frontal_row / frontal_n < occipital_row / occipital_n - 10);  // anterior is up in the display
  // hemispheres of the macaque: left ids on the left of the (neurological) display
  const auto& u1 = mvg_test::bench().set("U1-hemispheres").tasks.at(0);
  double left_col = 0, right_col = 0, nl = 0, nr = 0;
  for (const auto& s : u1.test)
    for (std::size_t r = 0; r < 64; ++r)
      for (std::size_t c = 0; c < 64; ++c) {
        if (s.label(r, c) == 1) left_col += static_cast<double>(c), nl += 1;
        if (s.label(r, c) == 2) right_col += static_cast<double>(c), nr += 1;
      }
  REQUIRE(nl > 0);
  REQUIRE(nr > 0);
  CHECK(left_col / nl + 10 < right_col / nr);
}

TEST_CASE("S2 regions, S3 areas and U1 parcels are per-label binary tasks over shared images",
          "[data][benchmark][real]") {
  const auto& regions = mvg_test::bench().set("S2-regions");
  CHECK(regions.tasks.size() > 40);
  // Precentral_L is one of the held-out classes (the manifest's hold_out_seed): it lives in the sibling set
  const auto& held = mvg_test::bench().set("S2-regions-held-out");
  const auto& pre = held.task("Precentral_L");
  CHECK(pre.source_label == 1);
  CHECK(pre.classes == std::vector<std::string>{"background", "Precentral_L"});
  CHECK_FALSE(pre.train.empty());
  // one image per slice, shared: every task of a slice points at the same image
  CHECK(regions.images.size() == regions.image_slice.size());
  CHECK(std::set<std::size_t>(regions.image_slice.begin(), regions.image_slice.end()).size() == regions.images.size());
  std::size_t unseen = 0;
  for (const auto& t : regions.tasks) unseen += t.unseen_in_training();
  CHECK(unseen > 0);  // regions met only in the test slabs
  const auto& s3 = mvg_test::bench().set("S3");
  CHECK(s3.tasks.front().name.rfind("BA", 0) == 0);
  for (const auto& t : mvg_test::bench().set("U1-parcels").tasks) CHECK((t.source_label > 0 && t.source_label <= 1000));
  // S2-lobes and S1 label the same slices of the same image differently
  const auto& s1 = mvg_test::bench().set("S1");
  const auto& lobes = mvg_test::bench().set("S2-lobes");
  const auto& q1 = s1.tasks[0].test[5];
  const auto& q2 = lobes.tasks[0].test[5];
  REQUIRE(q1.slice == q2.slice);
  CHECK(mvg_test::same(s1.image(q1), lobes.image(q2)));
  CHECK_FALSE(mvg_test::same(q1.label, q2.label));
}

TEST_CASE("held-out classes: a third of S2-regions' and S3's seen classes, fixed by the manifest's seed",
          "[data][benchmark][real]") {
  for (const std::string name : {"S2-regions", "S3"}) {
    INFO(name);
    const auto& base = mvg_test::bench().set(name);
    const auto& held = mvg_test::bench().set(name + "-held-out");
    CHECK(held.held_out);
    CHECK_FALSE(base.held_out);
    std::set<std::string> base_names, held_names;
    std::size_t base_seen = 0;
    for (const auto& t : base.tasks) base_names.insert(t.name), base_seen += !t.train.empty() && !t.test.empty();
    for (const auto& t : held.tasks) {
      held_names.insert(t.name);
      CHECK_FALSE(t.train.empty());  // prompts come from the training slabs
      CHECK_FALSE(t.test.empty());
      CHECK(base_names.count(t.name) == 0);  // never in the trained set
    }
    // one in three of the seen classes (rounded)
    const std::size_t seen = base_seen + held.tasks.size();
    CHECK(held.tasks.size() == (seen + 1) / 3);
    // the same images, so a held-out query is a slice the model saw with other labels
    CHECK(held.images.size() == base.images.size());
    CHECK(mvg_test::same(held.images.front(), base.images.front()));
    // fixed by the committed seed: loading the held-out set alone draws the same classes
    benchmark_options o;
    o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
    o.data_dir = mvg_test::data_dir();
    o.sets = {name + "-held-out"};
    const auto alone = load_benchmark(o);
    REQUIRE(alone.sets.size() == 1);
    std::set<std::string> again;
    for (const auto& t : alone.sets[0].tasks) again.insert(t.name);
    CHECK(again == held_names);
  }
}

TEST_CASE("the image size is a parameter", "[data][benchmark][real]") {
  benchmark_options o;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.image_size = 128;
  o.sets = {"S5-bone", "U2"};
  const auto b = load_benchmark(o);
  REQUIRE(b.sets.size() == 2);
  CHECK(b.sets[0].images.at(0).shape() == std::array<std::size_t, 2>{128, 128});
  CHECK(b.sets[0].tasks[0].test.at(0).label.shape() == std::array<std::size_t, 2>{128, 128});
  o.sets = {"S9"};
  CHECK_THROWS_WITH(load_benchmark(o), Contains("S9"));
}

TEST_CASE("manifest errors and missing data are clear errors", "[data][benchmark]") {
  mvg_test::scratch s("manifest");
  auto write = [&](const std::string& text) {
    mvg_test::write_bytes(s / "m.manifest", {text.begin(), text.end()});
    return s / "m.manifest";
  };
  const std::string files = "file a x/a.nii.gz\nfile b x/b.nii.gz\n";
  CHECK_THROWS_WITH(read_manifest(write(files + "set S image=a labels=b task=mask axis=2 norm=mri train=1-5 test=4-9\n")),
                    Contains("m.manifest") && Contains("line 3") && Contains("overlaps"));
  CHECK_THROWS_WITH(read_manifest(write(files + "set S image=zz labels=b train=1-5 test=9-12\n")),
                    Contains("line 3") && Contains("image=zz"));
  CHECK_THROWS_WITH(read_manifest(write(files + "set S image=a colour=red\n")), Contains("unknown key 'colour'"));
  CHECK_THROWS_WITH(read_manifest(write("bogus line\n")), Contains("line 1"));
  CHECK_THROWS_WITH(read_manifest(write(files + "set S image=a labels=b train=9-1 test=20-30\n")), Contains("backwards"));
  // slabs closer than guard_mm are refused when the set is built
  const auto m = write("file ch2 mricron-data/usr/share/mricron/templates/ch2.nii.gz\n"
                       "file bet mricron-data/usr/share/mricron/templates/ch2bet.nii.gz\n"
                       "set S image=ch2 labels=bet task=mask axis=2 norm=mri train=40-50 test=55-60 guard_mm=8\n");
  benchmark_options o;
  o.manifest = m;
  o.data_dir = mvg_test::data_dir();
  CHECK_THROWS_WITH(load_benchmark(o), Contains("guard_mm"));
  o.data_dir = s.dir;  // no data here
  CHECK_THROWS_WITH(load_benchmark(o), Contains("fetch_data.sh"));
}
