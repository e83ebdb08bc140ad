// Windowing, percentile scaling, slicing, padding, resizing, crops, augmentation, label operations.
#include <catch2/catch.hpp>

#include <numeric>

#include "mvg/data/prep/augment.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/data/prep/intensity.hpp"
#include "mvg/data/formats/inv3.hpp"
#include "mvg/data/prep/labels.hpp"
#include "mvg/data/formats/nifti.hpp"
#include "support.hpp"

using namespace mvg::data;

TEST_CASE("CT windowing maps the window to [0,1] and HU inside it round-trip", "[data][preprocess]") {
  for (const ct_window w : {soft_tissue_window, wide_window}) {
    CHECK(apply_window(w.lo, w) == 0.0f);
    CHECK(apply_window(w.hi, w) == 1.0f);
    CHECK(apply_window(w.lo - 500, w) == 0.0f);
    CHECK(apply_window(w.hi + 500, w) == 1.0f);
    for (float hu = w.lo; hu <= w.hi; hu += 7.25f) CHECK(window_to_hu(apply_window(hu, w), w) == Approx(hu).margin(1e-3));
  }
  CHECK(apply_window(50.0f, soft_tissue_window) == Approx(0.5f));
  // the real CT: every in-window voxel survives the round trip, the rest clamp to the window edges
  const auto p = read_inv3(mvg_test::data_file("invesalius-examples/usr/share/doc/invesalius-examples/examples/Cranium.inv3"));
  const auto w01 = apply_window(p.matrix, soft_tissue_window);
  const auto hu = window_to_hu(w01, soft_tissue_window);
  std::size_t inside = 0, bad = 0;
  for (std::size_t i = 0; i < p.matrix.size(); ++i) {
    const float orig = p.matrix.data()[i];
    const float want = std::clamp(orig, -100.0f, 200.0f);
    inside += orig >= -100 && orig <= 200;
    bad += std::abs(hu.data()[i] - want) > 0.01f;
  }
  CHECK(inside > 1000000);  // brain and soft tissue
  CHECK(bad == 0);
  CHECK_THROWS(apply_window(p.matrix, ct_window{5, 5}));
}

TEST_CASE("MRI percentile scaling matches numpy's linear-interpolation percentiles", "[data][preprocess]") {
  xt::xarray<float> v = xt::xarray<float>::from_shape({1000});
  std::iota(v.begin(), v.end(), 0.0f);  // 0..999: numpy percentile(0.5) = 4.995, (99.5) = 994.005
  const auto r = percentile_range(v);
  CHECK(r.lo == Approx(4.995));
  CHECK(r.hi == Approx(994.005));
  const auto s = scale_mri(v);
  CHECK(s(0) == 0.0f);
  CHECK(s(999) == 1.0f);
  CHECK(s(500) == Approx((500 - 4.995) / (994.005 - 4.995)));
  v(998) = 65535, v(999) = 65535;  // saturated pixels are kept out of the statistic
  const auto sat = percentile_range(v, 0.5, 99.5, 65535.0f);
  CHECK(sat.hi == Approx(992.015));  // percentile of 0..997
  CHECK(sat.hi < 1000);
}

TEST_CASE("slices along every axis, rotation, pad and resize", "[data][preprocess]") {
  xt::xarray<float> vol = xt::xarray<float>::from_shape({3, 4, 5});
  std::iota(vol.begin(), vol.end(), 0.0f);
  CHECK(extract_slice<float>(vol, 0, 2)(1, 3) == vol(2, 1, 3));
  CHECK(extract_slice<float>(vol, 1, 2)(1, 3) == vol(1, 2, 3));
  CHECK(extract_slice<float>(vol, 2, 4)(2, 3) == vol(2, 3, 4));
  CHECK(extract_slice<float>(vol, 1, 0).shape() == std::array<std::size_t, 2>{3, 5});
  CHECK_THROWS(extract_slice<float>(vol, 2, 5));

  image2d<float> a = extract_slice<float>(vol, 0, 0);  // 4×5
  const auto r = rotate90(a);                          // 5×4, right column becomes top row
  CHECK(r.shape() == std::array<std::size_t, 2>{5, 4});
  CHECK(r(0, 0) == a(0, 4));
  CHECK(r(4, 3) == a(3, 0));
  image2d<float> b = extract_slice<float>(vol, 1, 1) + 1.0f;  // 3×5, no zeros
  const auto sq = pad_to_square(b);                             // centred: one zero row above, one below
  CHECK(sq.shape() == std::array<std::size_t, 2>{5, 5});
  for (std::size_t c = 0; c < 5; ++c) {
    CHECK(sq(0, c) == 0.0f);
    CHECK(sq(1, c) == b(0, c));
    CHECK(sq(3, c) == b(2, c));
    CHECK(sq(4, c) == 0.0f);
  }
}

TEST_CASE("bilinear resize preserves constants and means, nearest never invents labels", "[data][preprocess]") {
  image2d<float> c = xt::ones<float>({37, 53}) * 0.25f;
  for (auto [h, w] : {std::pair{64, 64}, std::pair{10, 7}, std::pair{37, 53}}) {
    const auto r = resize_bilinear(c, h, w);
    for (auto v : r) CHECK(v == Approx(0.25f).margin(1e-6));
  }
  image2d<float> ramp = image2d<float>::from_shape({1, 8});
  for (std::size_t i = 0; i < 8; ++i) ramp(0, i) = static_cast<float>(i);
  const auto up = resize_bilinear(ramp, 1, 16);  // pixel-centre alignment: out 1 = in 0.25 → 0
  CHECK(up(0, 0) == 0.0f);
  CHECK(up(0, 2) == Approx(0.75f));
  CHECK(up(0, 15) == 7.0f);
  const auto down = resize_bilinear(ramp, 1, 4);  // antialiased: each output is a local mean
  CHECK(down(0, 1) == Approx(2.5f).margin(0.2));
  image2d<std::uint8_t> lab = image2d<std::uint8_t>::from_shape({9, 9});
  for (std::size_t i = 0; i < lab.size(); ++i) lab.data()[i] = static_cast<std::uint8_t>(i % 3 == 0 ? 0 : i % 7);
  const auto n = resize_nearest(lab, 31, 5);
  for (auto v : n) CHECK(std::find(lab.begin(), lab.end(), v) != lab.end());
  CHECK(mvg_test::same(resize_nearest(lab, 9, 9), lab));
}

TEST_CASE("random crop and augmentation are seeded and move image and label together", "[data][preprocess]") {
  image2d<float> img = image2d<float>::from_shape({32, 32});
  image2d<std::uint8_t> lab = image2d<std::uint8_t>::from_shape({32, 32});
  for (std::size_t r = 0; r < 32; ++r)
    for (std::size_t c = 0; c < 32; ++c) img(r, c) = (r >= 8 && r < 20 && c >= 10 && c < 26) ? 1.0f : 0.0f,
                                         lab(r, c) = (r >= 8 && r < 20 && c >= 10 && c < 26) ? 1 : 0;
  augment_options o;
  o.gamma_range = o.contrast_range = o.brightness_range = 0;
  o.flip_probability = 0.5;
  auto run = [&](std::uint64_t seed) {
    auto i = img;
    auto l = lab;
    mvg::rng g(seed);
    augment_pair(i, l, o, g);
    return std::pair{i, l};
  };
  const auto a = run(5), b = run(5), c = run(6);
  CHECK(mvg_test::same(a.first, b.first));
  CHECK(mvg_test::same(a.second, b.second));
  bool differs = false;
  for (std::uint64_t seed = 6; seed < 12 && !differs; ++seed) differs = !mvg_test::same(run(seed).first, a.first);
  CHECK(differs);
  CHECK(c.first.shape() == img.shape());
  // geometry is shared: the label marks exactly where the (binary) image is bright
  std::size_t agree = 0;
  for (std::size_t k = 0; k < a.first.size(); ++k) agree += (a.first.data()[k] > 0.5f) == (a.second.data()[k] == 1);
  CHECK(agree >= a.first.size() - 40);  // only bilinear edge pixels may disagree
  auto i2 = img;
  augment_options io;  // intensity changes keep the image in [0, 1]
  mvg::rng g(9);
  auto l2 = lab;
  augment_pair(i2, l2, io, g);
  for (auto v : i2) CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("components, largest component and hole filling", "[data][labels]") {
  mask3d m = xt::zeros<std::uint8_t>({5, 6, 7});
  for (std::size_t z = 0; z < 5; ++z)
    for (std::size_t y = 0; y < 6; ++y)
      for (std::size_t x = 1; x < 6; ++x) m(z, y, x) = 1;  // a slab
  m(2, 2, 3) = 0;                                           // an enclosed hole
  m(0, 0, 0) = 0;
  mask3d speck = m;
  speck(4, 5, 0) = 0;
  m(0, 5, 0) = 0;
  auto two = m;
  two(4, 0, 0) = 1, two(4, 0, 1) = 0, two(3, 0, 0) = 0;  // an isolated voxel (6-connectivity)
  const auto cc = connected_components(two);
  CHECK(cc.sizes.size() == 2);
  const auto big = largest_component(two);
  CHECK(int(big(4, 0, 0)) == 0);
  CHECK(int(big(2, 2, 2)) == 1);
  const auto filled = fill_holes_2d(m, 0);
  CHECK(int(filled(2, 2, 3)) == 1);
  CHECK(int(filled(0, 0, 0)) == 0);  // touches the border: not a hole
}

TEST_CASE("ch2bet has 99 components and 806 stray voxels, as DATA.md says", "[data][labels][real]") {
  const auto bet = read_nifti(mvg_test::data_file("mricron-data/usr/share/mricron/templates/ch2bet.nii.gz"));
  mask3d m = mask3d::from_shape(bet.data.shape());
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = bet.data.data()[i] > 0;
  const auto cc = connected_components(m);
  CHECK(cc.sizes.size() == 99);
  const std::size_t total = std::accumulate(cc.sizes.begin(), cc.sizes.end(), std::size_t{0});
  CHECK(total - *std::max_element(cc.sizes.begin(), cc.sizes.end()) == 806);
}

TEST_CASE("label tables parse aal.nii.txt and reject malformed lines", "[data][labels]") {
  const auto t = read_label_table(mvg_test::data_file("mricron-data/usr/share/mricron/templates/aal.nii.txt"));
  REQUIRE(t.size() == 116);
  CHECK(t[0].index == 1);
  CHECK(t[0].name == "Precentral_L");
  CHECK(t[0].code == 2001);
  mvg_test::scratch s("table");
  mvg_test::write_bytes(s / "bad.txt", {'1', ' ', 'A', ' ', 'x', '\n'});
  CHECK_THROWS_WITH(read_label_table(s / "bad.txt"), Catch::Contains("bad.txt") && Catch::Contains("line 1"));
}
