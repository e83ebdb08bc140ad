// The image-to-image tasks of issue 7 on the real data: DWI mosaic untiling, D1 noise levels, inpainting
// seed split, every task of shared/DATA.md present with train/test pairs. Missing data FAILS.
#include <catch2/catch.hpp>

#include <set>

#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/eval/noise2noise.hpp"
#include "support.hpp"

using namespace mvg::data;

namespace {

std::filesystem::path dwi_file(int i) {
  const auto dir = mvg_test::data_dir() / "heudiconv/usr/lib/python3/dist-packages/heudiconv/tests/data/b0dwiForFmap";
  if (!std::filesystem::exists(dir))
    FAIL("heudiconv's DWI not found in " << dir.string() << ": run scripts/fetch_data.sh");
  return dir / ("b0dwi_for_fmap+0000" + std::to_string(i) + ".dcm");
}

const image_task_set& tasks(std::vector<std::string> only = {}) {
  image_task_options o;
  o.image_size = 64;
  o.tasks = std::move(only);
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  return *cached_image_tasks(o);
}

// Every task id of shared/DATA.md (segmentation, denoising, inpainting, synthesis).
const std::vector<std::string> data_md_segmentation = {"S1", "S2-lobes", "S2-regions", "S3", "S5-bone", "S5-head",
                                                       "U1-hemispheres", "U1-parcels", "U2"};
const std::vector<std::string> data_md_pairs = {"D1-high", "D1-low", "D2-3", "D2-5", "D2-9", "D3",
                                                "inpaint-ch2", "inpaint-cranium", "X1-b0-to-b1500", "X1-b1500-to-b0"};

}  // namespace

TEST_CASE("Siemens mosaic DICOM is untiled into 81 slices with b-values from the file", "[data][dicom]") {
  const double expected_b[3] = {5, 5, 1500};
  std::size_t saturated = 0;
  for (int i = 1; i <= 3; ++i) {
    const auto m = read_siemens_mosaic(dwi_file(i));
    CHECK(m.images_in_mosaic == 81);
    CHECK(m.b_value == expected_b[i - 1]);
    CHECK(m.mosaic_rows == 9 * 152);
    CHECK(m.mosaic_cols == 9 * 150);
    REQUIRE(m.volume.dimension() == 3);
    CHECK(m.volume.shape()[0] == 81);
    CHECK(m.volume.shape()[1] == 152);
    CHECK(m.volume.shape()[2] == 150);
    if (i < 3) CHECK(m.saturated > 0);
    saturated += m.saturated;
    // untiling is a permutation: tile 10 (row 1, col 1) starts at mosaic pixel (152, 150); tiles carry signal
    float peak = 0;
    for (std::size_t r = 0; r < 152; ++r)
      for (std::size_t c = 0; c < 150; ++c) peak = std::max(peak, m.volume(40, r, c));
    CHECK(peak > 100);
  }
  CHECK(saturated == 6);  // DATA.md: 2 and 4 saturated pixels in the b=5 volumes
  mvg_test::scratch tmp("dicom");
  mvg_test::write_bytes(tmp / "garbage.dcm", std::vector<std::uint8_t>(1000, 7));
  CHECK_THROWS_AS(read_siemens_mosaic(tmp / "garbage.dcm"), mvg::error);
  CHECK_THROWS_AS(read_siemens_mosaic(tmp / "missing.dcm"), mvg::error);
}

TEST_CASE("D1 low-dose CT noise in the brain is near DATA.md's 23 / 47 HU", "[data][d1]") {
  const auto p = read_inv3(mvg_test::data_file("invesalius-examples/usr/share/doc/invesalius-examples/examples/Cranium.inv3"));
  const parallel_beam geo(256, 360);
  double sigma[2] = {0, 0};
  const ct_dose doses[2] = {normal_dose, quarter_dose};
  for (int d = 0; d < 2; ++d) {
    double s2 = 0;
    std::size_t n = 0;
    for (std::size_t z : {64, 80, 96}) {  // test slabs, through the brain
      const auto hu = extract_slice<float>(p.matrix, 0, z);
      mvg::rng g(z);
      const auto pair = simulate_low_dose_ct(geo, hu, p.spacing[0], doses[d], g);
      for (std::size_t i = 0; i < hu.size(); ++i) {
        const float c = pair.clean_hu.data()[i];
        if (c < 0 || c > 80 || hu.data()[i] < 0 || hu.data()[i] > 80) continue;  // soft tissue
        const double e = pair.noisy_hu.data()[i] - c;
        s2 += e * e, ++n;
      }
    }
    REQUIRE(n > 10000);
    sigma[d] = std::sqrt(s2 / n);
  }
  INFO("σ at I0 = 2e5: " << sigma[0] << " HU, at 5e4: " << sigma[1] << " HU");
  WARN("D1 noise in soft tissue (slices 64, 80, 96, native 256²): " << sigma[0] << " HU at I0 = 2e5, " << sigma[1]
                                                                     << " HU at 5e4");
  CHECK(sigma[0] > 23 / 1.5);
  CHECK(sigma[0] < 23 * 1.5);
  CHECK(sigma[1] > 47 / 1.5);
  CHECK(sigma[1] < 47 * 1.5);
  CHECK(sigma[1] / sigma[0] == Approx(2).epsilon(0.15));  // σ ∝ 1/√I0
}

TEST_CASE("inpainting holes: train and test seeds never meet", "[data][inpaint]") {
  std::set<std::uint64_t> train, test;
  for (std::uint64_t task = 0; task < 4; ++task)
    for (std::uint64_t i = 0; i < 5000; ++i) {
      const auto a = hole_seed(false, 331 + task, i), b = hole_seed(true, 331 + task, i);
      CHECK_FALSE(is_test_hole_seed(a));
      CHECK(is_test_hole_seed(b));
      train.insert(a), test.insert(b);
    }
  for (auto s : test) CHECK(train.count(s) == 0);
  CHECK(train.size() > 19900);  // distinct masks, not one seed reused
  // the real tasks: train pairs carry train-range seeds, test pairs test-range seeds
  for (const char* name : {"inpaint-ch2", "inpaint-cranium"}) {
    const auto& t = tasks({"inpaint-ch2", "inpaint-cranium"}).task(name);
    std::set<std::uint64_t> seen;
    std::size_t boxes_ok = 0, blobs = 0;
    for (const auto& p : t.train) {
      CHECK_FALSE(is_test_hole_seed(p.seed));
      seen.insert(p.seed);
    }
    for (const auto& p : t.test) {
      CHECK(is_test_hole_seed(p.seed));
      CHECK(seen.count(p.seed) == 0);
      const auto holes = std::count(p.hole.begin(), p.hole.end(), 1);
      CHECK(holes > 0);
      // the input is the target with the hole zeroed
      for (std::size_t i = 0; i < p.hole.size(); ++i)
        if (p.hole.data()[i]) CHECK(p.input.data()[i] == 0);
        else if (p.input.data()[i] != p.target.data()[i]) FAIL("input differs from target outside the hole");
      hole_kind kind;
      (void)make_hole_mask(p.body, p.region, p.seed, &kind);
      if (kind == hole_kind::blobs) {
        ++blobs;
        for (std::size_t i = 0; i < p.hole.size(); ++i)
          if (p.hole.data()[i] && !p.region.data()[i]) FAIL("blob outside the region");
      } else {
        const double side_lo = 12.0 * 64 / 128, side_hi = 40.0 * 64 / 128;
        boxes_ok += holes >= side_lo * side_lo && holes <= 3 * side_hi * side_hi;
      }
    }
    CHECK(blobs > 0);
    CHECK(blobs < t.test.size());
    CHECK(boxes_ok == t.test.size() - blobs);
    // a redrawn training hole stays in the training range and is a pure function of its seed
    const auto a = redraw_hole(t.train.front(), t.seed, 12345), b = redraw_hole(t.train.front(), t.seed, 12345);
    CHECK_FALSE(is_test_hole_seed(a.seed));
    CHECK(mvg_test::same(a.hole, b.hole));
  }
}

TEST_CASE("every image-to-image task of DATA.md has train and test pairs at the requested size", "[data][tasks]") {
  const auto& set = tasks();
  std::set<std::string> names;
  for (const auto& t : set.tasks) names.insert(t.name);
  for (const auto& want : data_md_pairs) CHECK(names.count(want) == 1);
  INFO("load time " << set.load_seconds << " s");
  for (const auto& t : set.tasks) {
    INFO(t.name);
    CHECK(!t.test.empty());
    if (t.name == "D3") {
      CHECK(t.test_only);
      CHECK(t.train.empty());
      CHECK(!t.support.empty());
    } else {
      CHECK(!t.train.empty());
    }
    for (const auto* list : {&t.train, &t.support, &t.test})
      for (const auto& p : *list) {
        REQUIRE(p.input.shape()[0] == 64);
        REQUIRE(p.target.shape() == p.input.shape());
        REQUIRE(p.region.shape() == p.input.shape());
        const auto [lo, hi] = std::minmax_element(p.input.begin(), p.input.end());
        const auto [tlo, thi] = std::minmax_element(p.target.begin(), p.target.end());
        CHECK(*lo >= 0.0f);
        CHECK(*hi <= 1.0f);
        CHECK(*tlo >= 0.0f);
        CHECK(*thi <= 1.0f);
        CHECK(*thi > 0.1f);  // not empty
      }
    // splits are slab-disjoint with a guard
    for (const auto& a : t.prompt_pool())
      for (const auto& b : t.test) CHECK(static_cast<double>(a.slice > b.slice ? a.slice - b.slice : b.slice - a.slice) * t.slice_mm > 8);
  }
  // X1 follows DATA.md's slabs
  for (const auto& p : set.task("X1-b0-to-b1500").train) CHECK(p.slice <= 39);
  for (const auto& p : set.task("X1-b0-to-b1500").test) CHECK(p.slice >= 46);
  CHECK(!set.task("X1-b1500-to-b0").caveat.empty());
  // D1 in the windowed images: input and target differ only by noise, of the measured size
  const auto& d1 = set.task("D1-low");
  CHECK(d1.measured.at("noise_hu_native") > 47 / 1.5);
  CHECK(d1.measured.at("noise_hu_native") < 47 * 1.5);
  CHECK(set.task("D1-high").measured.at("noise_hu_native") < d1.measured.at("noise_hu_native"));
  // D2 levels grow 3 : 5 : 9
  CHECK(set.task("D2-9").measured.at("sigma") == Approx(3 * set.task("D2-3").measured.at("sigma")));
  // D3: identity's corrected score ≈ σ̂² (the input's own noise), with σ̂² > 0
  const auto& d3 = set.task("D3");
  mvg::eval::noise2noise_score score;
  for (const auto& p : d3.test) score.add(p.input, p.input, p.target, p.region);
  CHECK(score.sigma2_hat() > 0);
  CHECK(score.sigma2_hat() == Approx(d3.measured.at("sigma2_hat")).epsilon(1e-6));
  // identity: MSE(x1, x2) = 2σ̂² + mean(x1 − x2)², so its corrected score is σ̂² plus the squared offset
  CHECK(score.corrected_mse() == Approx(score.mse() - score.sigma2_hat()));
  CHECK(score.corrected_mse() >= score.sigma2_hat() * (1 - 1e-9));
  CHECK(score.corrected_mse() < 1.5 * score.sigma2_hat());
}

TEST_CASE("the manifest (what mvg_inventory prints) lists every task of DATA.md", "[data][tasks]") {
  const auto m = read_manifest(std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest");
  std::set<std::string> sets, pairs;
  for (const auto& s : m.sets) sets.insert(s.name);
  for (const auto& s : m.pairs) pairs.insert(s.name);
  for (const auto& want : data_md_segmentation) CHECK(sets.count(want) == 1);
  for (const auto& want : data_md_pairs) CHECK(pairs.count(want) == 1);
  // malformed pairs lines are refused with the line number
  mvg_test::scratch tmp("pairs_manifest");
  std::ofstream(tmp / "m.txt") << "file a x.nii\nset S image=a train=0-1 test=20-30\npairs P recipe=inpaint image=a train=0-10 test=5-30\n";
  CHECK_THROWS_WITH(read_manifest(tmp / "m.txt"), Catch::Contains("line 3") && Catch::Contains("overlaps"));
  std::ofstream(tmp / "n.txt") << "file a x.nii\nset S image=a train=0-1 test=20-30\npairs P recipe=inpaint image=b test=5-30 train=0-1\n";
  CHECK_THROWS_WITH(read_manifest(tmp / "n.txt"), Catch::Contains("names no 'file'"));
}
