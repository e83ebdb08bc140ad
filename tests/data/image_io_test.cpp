// PNG/JPEG through libstb: round trips, atomic writes, and refusal of truncated or garbage files.
#include <catch2/catch.hpp>

#include <cmath>

#include "mvg/data/formats/image_io.hpp"
#include "support.hpp"
#include "support/png_writer.hpp"

using Catch::Contains;

TEST_CASE("PNG round-trips grey floats and RGB bytes", "[data][image]") {
  mvg_test::scratch s("png_rt");
  xt::xtensor<float, 2> grey = xt::xtensor<float, 2>::from_shape({20, 30});
  for (std::size_t r = 0; r < 20; ++r)
    for (std::size_t c = 0; c < 30; ++c) grey(r, c) = static_cast<float>((r * 30 + c) % 256) / 255.0f;
  mvg::data::write_png(s / "grey.png", grey);
  const auto back = mvg::data::read_image(s / "grey.png");
  REQUIRE(back.shape() == std::array<std::size_t, 3>{20, 30, 1});
  for (std::size_t r = 0; r < 20; ++r)
    for (std::size_t c = 0; c < 30; ++c) CHECK(back(r, c, 0) == Approx(grey(r, c)).margin(0.5 / 255));

  xt::xtensor<std::uint8_t, 3> rgb = xt::xtensor<std::uint8_t, 3>::from_shape({7, 5, 3});
  std::size_t i = 0;
  for (auto& v : rgb) v = static_cast<std::uint8_t>(i++ * 37 % 256);
  mvg::data::write_png(s / "rgb.png", rgb);
  const auto rgb_back = mvg::data::read_image_u8(s / "rgb.png");
  CHECK(mvg_test::same(rgb_back, rgb));
  CHECK(mvg::data::read_image_u8(s / "rgb.png", 1).shape()[2] == 1);  // converted to luminance on request
  for (const auto& e : std::filesystem::directory_iterator(s.dir)) CHECK(e.path().extension() == ".png");
}

// A 16-bit scan whose brightest pixel is 230 of 65535: reduced to 8 bits by stb (the high byte), every
// pixel was 0, and mvg_infer ran on a black query without a word.
TEST_CASE("16-bit grey PNGs read at full depth, as intensities and as class ids", "[data][image]") {
  mvg_test::scratch s("png16");
  const std::vector<std::uint16_t> dim = {0, 1, 115, 230, 230, 7};  // 2 rows × 3 columns
  mvg_test::write_bytes(s / "dim.png", mvg_test::png::encode(3, 2, 1, 16, dim));
  const auto grey = mvg::data::read_image_gray(s / "dim.png");
  REQUIRE(grey.shape() == std::array<std::size_t, 2>{2, 3});
  for (std::size_t i = 0; i < dim.size(); ++i) CHECK(grey.data()[i] == Approx(dim[i] / 65535.0).epsilon(1e-6));
  CHECK(grey(1, 0) > 0);
  const auto hwc = mvg::data::read_image(s / "dim.png");
  REQUIRE(hwc.shape() == std::array<std::size_t, 3>{2, 3, 1});
  CHECK(hwc(1, 0, 0) == Approx(230 / 65535.0).epsilon(1e-6));

  // 8-bit files still divide by 255
  mvg_test::write_bytes(s / "byte.png", mvg_test::png::encode(3, 2, 1, 8, dim));
  CHECK(mvg::data::read_image_gray(s / "byte.png")(1, 0) == Approx(230 / 255.0).epsilon(1e-6));

  // class ids above 255 stay what they are
  const std::vector<std::uint16_t> ids = {0, 300, 65535, 1};
  mvg_test::write_bytes(s / "labels16.png", mvg_test::png::encode(2, 2, 1, 16, ids));
  const auto labels = mvg::data::read_label_image(s / "labels16.png");
  REQUIRE(labels.shape() == std::array<std::size_t, 2>{2, 2});
  CHECK(labels(0, 1) == 300);
  CHECK(labels(1, 0) == 65535);
  CHECK(labels(1, 1) == 1);
  mvg_test::write_bytes(s / "labels8.png", mvg_test::png::encode(2, 2, 1, 8, {0, 3, 255, 1}));
  CHECK(mvg::data::read_label_image(s / "labels8.png")(1, 0) == 255);

  // colour would turn class colours into luminance values, not ids: refused, naming the file
  mvg_test::write_bytes(s / "rgb_labels.png", mvg_test::png::encode(1, 1, 3, 8, {1, 2, 3}));
  CHECK_THROWS_WITH(mvg::data::read_label_image(s / "rgb_labels.png"),
                    Contains("rgb_labels.png") && Contains("one grey channel") && Contains("has 3"));
}

TEST_CASE("JPEG reads through stb_image", "[data][image]") {
  mvg_test::scratch s("jpg");
  std::vector<std::uint8_t> px(16 * 16, 128);
  REQUIRE(stbi_write_jpg((s / "flat.jpg").c_str(), 16, 16, 1, px.data(), 95) != 0);
  const auto img = mvg::data::read_image(s / "flat.jpg", 1);
  REQUIRE(img.shape() == std::array<std::size_t, 3>{16, 16, 1});
  CHECK(img(8, 8, 0) == Approx(128.0 / 255).margin(2.0 / 255));
}

TEST_CASE("image reader rejects truncated, garbage and absurd files, naming the file", "[data][image]") {
  mvg_test::scratch s("png_bad");
  xt::xtensor<float, 2> grey = xt::zeros<float>({64, 64});
  grey(3, 3) = 1;
  mvg::data::write_png(s / "ok.png", grey);
  const auto bytes = mvg_test::read_bytes(s / "ok.png");
  mvg_test::write_bytes(s / "cut.png", {bytes.begin(), bytes.begin() + 60});
  CHECK_THROWS_WITH(mvg::data::read_image(s / "cut.png"), Contains("cut.png"));
  mvg_test::write_bytes(s / "garbage.png", std::vector<std::uint8_t>(500, 0x33));
  CHECK_THROWS_WITH(mvg::data::read_image(s / "garbage.png"), Contains("garbage.png") && Contains("header"));
  mvg_test::write_bytes(s / "empty.png", {});
  CHECK_THROWS_WITH(mvg::data::read_image(s / "empty.png"), Contains("empty.png"));
  // a PNG header claiming 100000 × 100000 pixels: refused before decoding
  auto huge = bytes;
  for (int k : {16, 20}) huge[k] = 0, huge[k + 1] = 0x01, huge[k + 2] = 0x86, huge[k + 3] = 0xA0;
  mvg_test::write_bytes(s / "huge.png", huge);
  CHECK_THROWS_WITH(mvg::data::read_image(s / "huge.png"), Contains("huge.png"));
  CHECK_THROWS_WITH(mvg::data::read_image(s / "absent.png"), Contains("absent.png"));
  // the fuzzer's finding: a chunk claiming 2 GB made stb allocate it (tests/fuzz/regressions/png)
  // (the fuzz input's first byte picks the channel conversion; the PNG is the rest)
  const auto oom = mvg_test::read_bytes(std::filesystem::path(MVG_SOURCE_DIR) / "tests/fuzz/regressions/png/oom-idat-length-2GB");
  mvg_test::write_bytes(s / "oom.png", {oom.begin() + 1, oom.end()});
  CHECK_THROWS_WITH(mvg::data::read_image(s / "oom.png"), Contains("oom.png") && Contains("PNG chunk") && Contains("declares"));
  auto lying = bytes;  // the IHDR chunk (at byte 8) claims 0x7fffffff bytes
  lying[8] = 0x7f, lying[9] = lying[10] = lying[11] = 0xff;
  mvg_test::write_bytes(s / "lying.png", lying);
  CHECK_THROWS_WITH(mvg::data::read_image(s / "lying.png"), Contains("lying.png") && Contains("'IHDR'"));
  // stb reads BMP too, but mvg reads only PNG and JPEG: less parser for hostile bytes to reach
  std::vector<std::uint8_t> bmp(70, 0);
  bmp[0] = 'B', bmp[1] = 'M';
  mvg_test::write_bytes(s / "x.bmp", bmp);
  CHECK_THROWS_WITH(mvg::data::read_image(s / "x.bmp"), Contains("x.bmp") && Contains("not a PNG or JPEG"));
  CHECK_THROWS_WITH(mvg::data::write_png(s.dir / "no" / "x.png", grey), Contains("does not exist"));
}
