// DICOM hostile input: GDCM allocates each element's declared length before reading it and asserts
// (aborting the process) on misplaced item tags, so our reader checks the file's structure first
// (include/mvg/data/formats/dicom_structure.hpp). The inputs are the fuzzer's findings (tests/fuzz/regressions/dicom).
#include <catch2/catch.hpp>

#include <cstring>

#include "mvg/data/formats/dicom.hpp"
#include "support.hpp"

using Catch::Contains;

TEST_CASE("DICOM: a header claiming a 2.5 GB element is refused before GDCM allocates it", "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/oom-element-length-2.5GB";
  REQUIRE(std::filesystem::file_size(p) < 20000);
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p),
                    Contains(p.string()) && Contains("declares 2548563968 bytes") && Contains("only 12606"));
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

TEST_CASE("DICOM: an item tag where a data element belongs is refused before GDCM asserts on it", "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/abort-item-tag-inside-item";
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p), Contains(p.string()) && Contains("(FFFE,E000)"));
}

TEST_CASE("DICOM: a file meta group shorter than its group length says is refused before GDCM asserts on it",
          "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/abort-meta-group-cut-short";
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p), Contains(p.string()) && Contains("(0002,0000) says 212 bytes"));
}

TEST_CASE("DICOM: pixel attributes that are not a 16-bit grey mosaic are refused before GDCM asserts on them",
          "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/abort-samples-per-pixel-over-4";
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p), Contains(p.string()) && Contains("SamplesPerPixel (0028,0002) is 19"));
}

TEST_CASE("DICOM: an odd value length is refused before GDCM asserts on it", "[data][dicom]") {
  const auto p = std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/dicom/abort-odd-item-length";
  CHECK_THROWS_WITH(mvg::data::read_siemens_mosaic(p), Contains(p.string()) && Contains("odd length"));
}
