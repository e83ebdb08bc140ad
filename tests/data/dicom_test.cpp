// DICOM hostile input: GDCM allocates each element's declared length before reading it, so our reader
// checks every length against the file first (include/mvg/data/dicom.hpp). The input here is the one
// the fuzzer found (tests/fuzz/regressions/dicom): 14 KB claiming a 2.5 GB element.
#include <catch2/catch.hpp>

#include <cstring>

#include "mvg/data/dicom.hpp"
#include "support.hpp"

using Catch::Contains;

TEST_CASE("DICOM: a header claiming a 2.5 GB element is refused before GDCM allocates it", "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/oom-element-length-2.5GB";
  REQUIRE(std::filesystem::file_size(p) < 20000);
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p),
                    Contains(p.string()) && Contains("declares 2548563968 bytes") && Contains("has only"));
}

TEST_CASE("DICOM: files that are not Part 10, or cut inside an element header, are refused by name", "[data][dicom]") {
  mvg_test::scratch s("dicom_bad");
  std::vector<std::uint8_t> b(140, 0);
  mvg_test::write_bytes(s / "no_magic.dcm", b);
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(s / "no_magic.dcm"), Contains("no_magic.dcm") && Contains("Part 10"));
  std::memcpy(b.data() + 128, "DICM", 4);
  b.resize(136);  // 4 bytes of a meta element header
  mvg_test::write_bytes(s / "cut.dcm", b);
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(s / "cut.dcm"), Contains("cut.dcm") && Contains("truncated"));
}
