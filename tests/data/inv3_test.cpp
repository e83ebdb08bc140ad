// InVesalius .inv3: a synthetic project (old GNU tar magic, tmp prefix) read back exactly, bad projects
// refused with the archive and member named, and the real Cranium.inv3 matching DATA.md.
#include <catch2/catch.hpp>

#include <cstring>

#include "mvg/data/formats/inv3.hpp"
#include "support.hpp"
#include "support/inv3_writer.hpp"

using Catch::Contains;

namespace {

using namespace mvg_test::inv3;

void write_inv3(const std::filesystem::path& p, const std::vector<member>& members, bool break_checksum = false) {
  const auto tar = make_tar(members, break_checksum);
  mvg_test::write_bytes(p, mvg::data::gzip_bytes(tar, p.string()));
}

void expect_rejected(const std::filesystem::path& p, const std::string& what) {
  INFO(p.filename().string());
  REQUIRE_THROWS_AS(mvg::data::read_inv3(p), mvg::error);
  CHECK_THROWS_WITH(mvg::data::read_inv3(p), Contains(p.filename().string()) && Contains(what));
}

}  // namespace

TEST_CASE("inv3: a synthetic project reads back exactly, mask border dropped", "[data][inv3]") {
  mvg_test::scratch s("inv3_ok");
  write_inv3(s / "ok.inv3", project());
  const auto p = mvg::data::read_inv3(s / "ok.inv3");
  CHECK(p.modality == "CT & more");
  REQUIRE(p.matrix.shape() == std::vector<std::size_t>{2, 3, 4});
  CHECK(p.matrix(1, 2, 3) == 100 + 20 + 3 - 50);
  CHECK(p.matrix(0, 0, 0) == -50);
  CHECK(p.spacing == std::array<double, 3>{0.5, 0.5, 2.0});
  REQUIRE(p.masks.size() == 1);
  CHECK(p.masks[0].name == "bone");
  CHECK(p.masks[0].threshold_range[0] == 226);
  for (std::size_t z = 0; z < 2; ++z)
    for (std::size_t y = 0; y < 3; ++y)
      for (std::size_t x = 0; x < 4; ++x) CHECK(int(p.masks[0].data(z, y, x)) == int((x + y + z + 3) % 2));
}

TEST_CASE("inv3: truncated, corrupt and lying projects are refused, naming archive and member", "[data][inv3]") {
  mvg_test::scratch s("inv3_bad");
  write_inv3(s / "ok.inv3", project());
  const auto gz = mvg_test::read_bytes(s / "ok.inv3");
  mvg_test::write_bytes(s / "cut.inv3", {gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)});
  expect_rejected(s / "cut.inv3", "truncated");
  // a tar cut inside a member (valid gzip around it)
  const auto tar = make_tar(project());
  mvg_test::write_bytes(s / "cut_tar.inv3", mvg::data::gzip_bytes({tar.data(), 1000}, "x"));
  expect_rejected(s / "cut_tar.inv3", "truncated archive");
  write_inv3(s / "checksum.inv3", project(), true);
  expect_rejected(s / "checksum.inv3", "chksum");
  std::vector<std::uint8_t> garbage(3000, 0x41);
  mvg_test::write_bytes(s / "garbage.inv3", mvg::data::gzip_bytes(garbage, "x"));
  expect_rejected(s / "garbage.inv3", "tar");

  auto m = project();
  m.erase(m.begin());
  write_inv3(s / "no_main.inv3", m);
  expect_rejected(s / "no_main.inv3", "main.plist");
  m = project(), m[1].bytes.resize(m[1].bytes.size() - 2);
  write_inv3(s / "short_matrix.inv3", m);
  expect_rejected(s / "short_matrix.inv3", "matrix.dat");
  m = project(), m[0].bytes = text(main_plist("int16", "<integer>4</integer><integer>3</integer><integer>4</integer>"));
  write_inv3(s / "lying_shape.inv3", m);
  expect_rejected(s / "lying_shape.inv3", "matrix/shape");
  m = project(), m[0].bytes = text(main_plist("int16", "<integer>60000</integer><integer>60000</integer><integer>60000</integer>"));
  write_inv3(s / "huge.inv3", m);
  expect_rejected(s / "huge.inv3", "limit");
  m = project(), m[0].bytes = text(main_plist("complex128", "<integer>2</integer><integer>3</integer><integer>4</integer>"));
  write_inv3(s / "dtype.inv3", m);
  expect_rejected(s / "dtype.inv3", "matrix/dtype");
  m = project(), m[0].bytes = text("<plist><dict><key>matrix</key><dict><key>dtype</key><string>int16");
  write_inv3(s / "bad_plist.inv3", m);
  expect_rejected(s / "bad_plist.inv3", "main.plist");
  m = project(), m[2].bytes = text(mask_plist("<integer>2</integer><integer>3</integer><integer>4</integer>"));
  write_inv3(s / "mask_shape.inv3", m);
  expect_rejected(s / "mask_shape.inv3", "mask_shape");
  m = project(), m[3].bytes.pop_back();
  write_inv3(s / "short_mask.inv3", m);
  expect_rejected(s / "short_mask.inv3", "mask_0.dat");
}

TEST_CASE("inv3: Cranium.inv3 is the CT of DATA.md and its masks are the HU thresholds", "[data][inv3][real]") {
  const auto p = mvg::data::read_inv3(
      mvg_test::data_file("invesalius-examples/usr/share/doc/invesalius-examples/examples/Cranium.inv3"));
  REQUIRE(p.matrix.shape() == std::vector<std::size_t>{108, 256, 256});
  CHECK(p.modality == "CT");
  CHECK(p.spacing[0] == Approx(0.9570312));
  CHECK(p.spacing[2] == Approx(1.5));
  REQUIRE(p.masks.size() == 2);
  const auto [lo, hi] = std::minmax_element(p.matrix.begin(), p.matrix.end());
  CHECK(*lo == -1024.0f);
  CHECK(*hi == 2986.0f);
  std::size_t bone_mismatch = 0, tissue_mismatch = 0, bone = 0;
  for (std::size_t i = 0; i < p.matrix.size(); ++i) {
    const float hu = p.matrix.data()[i];
    bone += p.masks[0].data.data()[i];
    bone_mismatch += (hu >= 226) != (p.masks[0].data.data()[i] == 1);
    tissue_mismatch += (hu >= -142) != (p.masks[1].data.data()[i] == 1);
  }
  CHECK(bone > 400000);
  CHECK(bone_mismatch == 0);  // a misaligned border drop would break this on every edge
  CHECK(tissue_mismatch == 0);
}
