// Bounded reads, gzip round trip and atomic replacement.
#include <catch2/catch.hpp>

#include "mvg/data/formats/file_io.hpp"
#include "support.hpp"

using Catch::Contains;

TEST_CASE("file reads are bounded and gzip is transparent", "[data][file_io]") {
  mvg_test::scratch s("file_io");
  std::vector<std::uint8_t> bytes(3000);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
  mvg::io::write_file_atomically((s / "plain.bin").string(), bytes);
  mvg::io::write_file_atomically((s / "packed.gz").string(), mvg::data::gzip_bytes(bytes, "packed.gz"));
  CHECK(mvg::data::read_file_bytes(s / "plain.bin") == bytes);
  CHECK(mvg::data::read_file_bytes(s / "packed.gz") == bytes);
  CHECK(mvg::data::read_file_bytes(s / "plain.bin", 3000) == bytes);
  CHECK_THROWS_WITH(mvg::data::read_file_bytes(s / "packed.gz", 2999), Contains("packed.gz") && Contains("limit"));
  // replacing a file is atomic: the new content, and no temporary left behind
  mvg::io::write_file_atomically((s / "plain.bin").string(), std::vector<std::uint8_t>{1, 2, 3});
  CHECK(mvg_test::read_bytes(s / "plain.bin") == std::vector<std::uint8_t>{1, 2, 3});
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(s.dir)) ++n;
  CHECK(n == 2);
}
