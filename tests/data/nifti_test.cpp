// NIfTI-1: round trips, the real atlases' headers, and refusal of truncated, corrupt and lying files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "mvg/data/formats/nifti.hpp"
#include "support.hpp"

using Catch::Contains;
using mvg::data::nifti_dtype;

namespace {

xt::xarray<float> ramp(std::vector<std::size_t> shape, float scale = 1.0f, float offset = 0.0f) {
  xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
  float v = 0;
  for (auto& x : a) x = offset + scale * (v += 1);
  return a;
}

mvg::data::affine_matrix test_affine() {
  mvg::data::affine_matrix a = mvg::data::identity_affine();
  a[0][0] = -2.0, a[1][2] = 3.0, a[2][1] = 1.5, a[2][2] = 0.0, a[1][1] = 0.0;
  a[0][3] = 10, a[1][3] = -20, a[2][3] = 30;
  return a;
}

// A valid plain .nii whose header the test then corrupts.
std::vector<std::uint8_t> valid_nii(const mvg_test::scratch& s) {
  mvg::data::write_nifti(s / "base.nii", ramp({5, 4, 3}), test_affine(), nifti_dtype::int16);
  return mvg_test::read_bytes(s / "base.nii");
}

template <class T>
void poke(std::vector<std::uint8_t>& b, std::size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

// Writes the bytes as `name` and expects read_nifti to throw a message naming the file and `field`.
void expect_rejected(const mvg_test::scratch& s, const std::string& name, const std::vector<std::uint8_t>& bytes,
                     const std::string& field) {
  mvg_test::write_bytes(s / name, bytes);
  INFO(name);
  REQUIRE_THROWS_AS(mvg::data::read_nifti(s / name), mvg::error);
  CHECK_THROWS_WITH(mvg::data::read_nifti(s / name), Contains(name) && Contains(field));
}

}  // namespace

TEST_CASE("NIfTI write/read round-trips float32, uint8 and int16, plain and gzip", "[data][nifti]") {
  mvg_test::scratch s("nifti_rt");
  const auto aff = test_affine();
  struct kase { const char* file; nifti_dtype t; xt::xarray<float> data; };
  const std::vector<kase> cases = {{"f.nii", nifti_dtype::float32, ramp({5, 4, 3}, 0.37f, -2.5f)},
                                   {"u.nii.gz", nifti_dtype::uint8, ramp({7, 3, 2})},
                                   {"s.nii.gz", nifti_dtype::int16, ramp({4, 6, 5}, -100.0f, 20000.0f)},
                                   {"f4d.nii.gz", nifti_dtype::float32, ramp({3, 2, 2, 2}, 0.5f)}};
  for (const auto& c : cases) {
    INFO(c.file);
    mvg::data::write_nifti(s / c.file, c.data, aff, c.t);
    const auto img = mvg::data::read_nifti(s / c.file);
    CHECK(img.dtype == c.t);
    REQUIRE(img.data.shape() == c.data.shape());
    CHECK(mvg_test::same(img.data, c.data));
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < 4; ++k) CHECK(img.affine[r][k] == Approx(aff[r][k]));
    CHECK(img.sform_code == 2);
  }
  // axis order: data(i, j, k) is voxel i + nx (j + ny k) of the file
  const auto bytes = mvg_test::read_bytes(s / "f.nii");
  float v;
  std::memcpy(&v, bytes.data() + 352 + 4 * (1 + 5 * (2 + 4 * 1)), 4);
  CHECK(v == cases[0].data(1, 2, 1));
  // atomic write: nothing but the outputs is left in the folder
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(s.dir)) {
    files += 1;
    CHECK(e.path().filename().string()[0] != '.');
  }
  CHECK(files == cases.size());
}

TEST_CASE("NIfTI write refuses values its integer dtype cannot hold", "[data][nifti]") {
  mvg_test::scratch s("nifti_range");
  CHECK_THROWS_WITH(mvg::data::write_nifti(s / "x.nii", ramp({2, 2, 2}, 100.0f), mvg::data::identity_affine(), nifti_dtype::uint8),
                    Contains("x.nii") && Contains("[0, 255]"));
  CHECK_THROWS_WITH(mvg::data::write_nifti(s / "y.nii", ramp({2, 2, 2}, 0.5f), mvg::data::identity_affine(), nifti_dtype::int16),
                    Contains("not an integer"));
  CHECK_FALSE(std::filesystem::exists(s / "x.nii"));
  CHECK_THROWS_WITH(mvg::data::write_nifti(s.dir / "missing" / "z.nii", ramp({2, 2, 2})), Contains("does not exist"));
}

TEST_CASE("NIfTI scl_slope scales, except when it is 0 or NaN", "[data][nifti]") {
  mvg_test::scratch s("nifti_scl");
  auto b = valid_nii(s);
  poke<float>(b, 112, 2.0f), poke<float>(b, 116, 3.0f);
  mvg_test::write_bytes(s / "scaled.nii", b);
  const float scaled = mvg::data::read_nifti(s / "scaled.nii").data(0, 0, 0);
  CHECK(scaled == 5.0f);  // stored 1 → 1·2 + 3
  poke<float>(b, 112, 0.0f);
  mvg_test::write_bytes(s / "zero.nii", b);
  const float zero = mvg::data::read_nifti(s / "zero.nii").data(0, 0, 0);
  CHECK(zero == 1.0f);
  poke<float>(b, 112, std::numeric_limits<float>::quiet_NaN());
  mvg_test::write_bytes(s / "nan.nii", b);
  const float nan = mvg::data::read_nifti(s / "nan.nii").data(0, 0, 0);
  CHECK(nan == 1.0f);
}

TEST_CASE("NIfTI reads voxels from vox_offset, skipping extensions", "[data][nifti]") {
  mvg_test::scratch s("nifti_ext");
  auto b = valid_nii(s);
  // 64 bytes of extension junk between header and voxels that must not be read as voxels
  std::vector<std::uint8_t> ext(b.size() + 64, 0xEE);
  std::copy(b.begin(), b.begin() + 352, ext.begin());
  std::copy(b.begin() + 352, b.end(), ext.begin() + 352 + 64);
  poke<float>(ext, 108, 416.0f);
  mvg_test::write_bytes(s / "ext.nii", ext);
  const bool same = mvg::data::read_nifti(s / "ext.nii").data == mvg::data::read_nifti(s / "base.nii").data;
  CHECK(same);
}

TEST_CASE("NIfTI rejects truncated, garbage and lying files, naming file and field", "[data][nifti]") {
  mvg_test::scratch s("nifti_bad");
  const auto good = valid_nii(s);
  expect_rejected(s, "short_header.nii", {good.begin(), good.begin() + 100}, "348");
  std::vector<std::uint8_t> garbage(4000);
  mvg::rng g(3);
  for (auto& x : garbage) x = static_cast<std::uint8_t>(g.below(256));
  expect_rejected(s, "garbage.nii", garbage, "sizeof_hdr");
  expect_rejected(s, "short_data.nii", {good.begin(), good.end() - 10}, "voxel data");

  auto b = good;
  poke<std::int32_t>(b, 0, 0x5C010000);
  expect_rejected(s, "bigendian.nii", b, "big-endian");
  b = good, std::memcpy(b.data() + 344, "ni1\0", 4);
  expect_rejected(s, "pair.nii", b, "magic");
  b = good, poke<std::int16_t>(b, 40, 9);
  expect_rejected(s, "dim0.nii", b, "dim[0]");
  b = good, poke<std::int16_t>(b, 44, -4);
  expect_rejected(s, "negdim.nii", b, "dim[2]");
  b = good, poke<std::int16_t>(b, 42, 30000), poke<std::int16_t>(b, 44, 30000), poke<std::int16_t>(b, 46, 30000);
  expect_rejected(s, "huge.nii", b, "limit");  // refused before any allocation
  b = good, poke<std::int16_t>(b, 42, 500);    // lies: 100× more voxels than the file holds
  expect_rejected(s, "lying_dim.nii", b, "truncated");
  b = good, poke<std::int16_t>(b, 72, 32);
  expect_rejected(s, "bitpix.nii", b, "bitpix");
  b = good, poke<std::int16_t>(b, 70, 1234);
  expect_rejected(s, "dtype.nii", b, "datatype");
  b = good, poke<float>(b, 108, 100.0f);
  expect_rejected(s, "offset_low.nii", b, "vox_offset");
  b = good, poke<float>(b, 108, 1e8f);
  expect_rejected(s, "offset_far.nii", b, "vox_offset");
  b = good, poke<float>(b, 108, std::numeric_limits<float>::infinity());
  expect_rejected(s, "offset_inf.nii", b, "vox_offset");
  CHECK_THROWS_WITH(mvg::data::read_nifti(s / "does_not_exist.nii"), Contains("does_not_exist.nii"));
}

TEST_CASE("NIfTI rejects truncated and corrupt gzip streams", "[data][nifti]") {
  mvg_test::scratch s("nifti_gz");
  mvg::data::write_nifti(s / "ok.nii.gz", ramp({40, 30, 20}, 0.01f), mvg::data::identity_affine(), nifti_dtype::float32);
  const auto gz = mvg_test::read_bytes(s / "ok.nii.gz");
  REQUIRE(gz.size() > 200);
  mvg_test::write_bytes(s / "cut.nii.gz", {gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)});
  CHECK_THROWS_WITH(mvg::data::read_nifti(s / "cut.nii.gz"), Contains("cut.nii.gz") && Contains("truncated"));
  auto bad = gz;
  for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) bad[i] ^= 0x5A;
  mvg_test::write_bytes(s / "corrupt.nii.gz", bad);
  CHECK_THROWS_WITH(mvg::data::read_nifti(s / "corrupt.nii.gz"), Contains("corrupt.nii.gz"));
}

TEST_CASE("real atlases: ch2 and INIA19 headers, sform, and NeuroMaps' vox_offset 32976", "[data][nifti][real]") {
  const auto ch2 = mvg::data::read_nifti(mvg_test::data_file("mricron-data/usr/share/mricron/templates/ch2.nii.gz"));
  CHECK(ch2.data.shape() == std::vector<std::size_t>{181, 217, 181});
  CHECK(ch2.dtype == nifti_dtype::uint8);
  CHECK(ch2.affine[0][3] == -90.0);
  CHECK(ch2.affine[1][3] == -125.0);
  CHECK(ch2.affine[2][3] == -71.0);
  const auto nm =
      mvg::data::read_nifti(mvg_test::data_file("mricron-data/usr/share/mricron/templates/inia19-NeuroMaps.nii.gz"));
  CHECK(nm.data.shape() == std::vector<std::size_t>{168, 206, 128});
  CHECK(nm.dtype == nifti_dtype::int16);
  std::set<int> ids(nm.data.begin(), nm.data.end());
  CHECK(ids.size() == 725);  // 724 labels + background: reading from byte 352 would give garbage ids
  CHECK(*ids.begin() == 0);
  CHECK(*ids.rbegin() == 1605);
  CHECK(nm.affine[0][0] == 0.5);
  const auto itk = mvg::data::read_nifti(mvg_test::data_file(
      "insighttoolkit5-examples/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz"));
  CHECK(itk.data.shape() == std::vector<std::size_t>{128, 128, 62});
  CHECK(itk.affine[0][0] == -2.0);  // L
  CHECK(itk.affine[1][2] == 3.0);   // axis 2 runs anterior: coronal slices
  CHECK(itk.affine[2][1] == 2.0);   // axis 1 runs superior
}

TEST_CASE("NIfTI geometry read from one file is written to another field for field", "[data][nifti]") {
  mvg_test::scratch s("nifti_geometry");
  mvg::data::nifti_geometry g;
  g.pixdim = {-1.f, 0.9f, 1.1f, 2.5f, 1.f, 1.f, 1.f, 1.f};
  g.qform_code = 1, g.sform_code = 4;
  g.quatern = {0.1f, -0.2f, 0.3f, -90.f, 126.f, -72.f};
  g.srow = {{{0.9f, 0.01f, 0.f, -90.f}, {0.f, 1.1f, 0.02f, 126.f}, {0.f, 0.f, -2.5f, -72.f}}};
  g.xyzt_units = 2 | 8;
  mvg::data::write_nifti(s / "a.nii.gz", ramp({4, 3, 2}, 1.f), g, nifti_dtype::uint8);
  const auto a = mvg::data::read_nifti(s / "a.nii.gz");
  CHECK(a.geometry == g);
  CHECK(a.dtype == nifti_dtype::uint8);
  CHECK(a.qform_code == 1);
  CHECK(a.sform_code == 4);
  CHECK(a.affine[0][0] == Approx(0.9));  // the sform wins when its code is set
  // Copying it on: the label of a scan carries the scan's header.
  mvg::data::write_nifti(s / "b.nii", a.data, a.geometry, nifti_dtype::int16);
  CHECK(mvg::data::read_nifti(s / "b.nii").geometry == g);
  // An affine alone gives sform code 2 and no qform, as before.
  mvg::data::write_nifti(s / "c.nii", a.data, a.affine);
  const auto c = mvg::data::read_nifti(s / "c.nii");
  CHECK(c.sform_code == 2);
  CHECK(c.qform_code == 0);
}
