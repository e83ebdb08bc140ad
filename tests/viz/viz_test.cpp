// Canvas, text and picture grid: every pixel where the contract says it is, and nothing elsewhere.
#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <tuple>
#include <unistd.h>

#include "mvg/data/formats/image_io.hpp"
#include "mvg/viz/canvas.hpp"
#include "mvg/viz/grid.hpp"
#include "mvg/viz/text.hpp"

using namespace mvg;
using viz::rgb;
using Catch::Contains;

namespace {
constexpr rgb red{255, 0, 0}, bg{10, 20, 30};

// Counts pixels != background, and checks that all of them lie in [y0, y1) × [x0, x1).
int ink_inside(const viz::canvas& cv, rgb background, int y0, int x0, int y1, int x1, int* outside) {
  int in = 0;
  *outside = 0;
  for (int y = 0; y < cv.height(); ++y)
    for (int x = 0; x < cv.width(); ++x)
      if (!(cv.at(y, x) == background)) (y >= y0 && y < y1 && x >= x0 && x < x1 ? in : *outside) += 1;
  return in;
}

struct scratch {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mvg_viz_" + std::to_string(::getpid()));
  scratch() { std::filesystem::create_directories(dir); }
  ~scratch() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST_CASE("canvas starts as its background and rejects impossible sizes", "[viz]") {
  viz::canvas cv(3, 5, bg);
  REQUIRE(cv.pixels().shape() == std::array<std::size_t, 3>{3, 5, 3});
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x) CHECK(cv.at(y, x) == bg);
  CHECK_THROWS_WITH(viz::canvas(0, 5), Contains("canvas: size is 0×5"));
  CHECK_THROWS_WITH(viz::canvas(5, data::max_image_side + 1), Contains("canvas: size"));
  CHECK_THROWS_WITH(cv.at(3, 0), Contains("outside"));
}

TEST_CASE("fill_rect clips to the canvas", "[viz]") {
  viz::canvas cv(10, 12, bg);
  cv.fill_rect(-3, -2, 5, 6, red);  // covers rows 0..1, cols 0..3
  int outside = 0;
  CHECK(ink_inside(cv, bg, 0, 0, 2, 4, &outside) == 2 * 4);
  CHECK(outside == 0);
  cv.fill_rect(8, 10, 100, 100, red);  // rows 8..9, cols 10..11
  CHECK(cv.at(9, 11) == red);
  CHECK(cv.at(7, 11) == bg);
  CHECK(cv.at(9, 9) == bg);
  viz::canvas far(4, 4, bg);
  far.fill_rect(-100, -100, 50, 50, red);
  far.fill_rect(4, 0, 1, 4, red);
  far.fill_rect(0, 0, 0, 4, red);
  far.fill_rect(0, 0, -3, 4, red);
  CHECK(ink_inside(far, bg, 0, 0, 0, 0, &outside) == 0);
  CHECK(outside == 0);
  far.fill_rect(INT_MIN, INT_MIN, INT_MAX, INT_MAX, red);  // no overflow: ends just before the canvas
  far.fill_rect(1, 1, INT_MAX, INT_MAX, red);
  CHECK(far.at(0, 0) == bg);
  CHECK(far.at(3, 3) == red);
}

TEST_CASE("blit_gray upscales by nearest neighbour with clamped values", "[viz]") {
  data::image2d<float> img = {{0.0f, 0.5f, 1.0f}, {-1.0f, 2.0f, std::numeric_limits<float>::quiet_NaN()}};
  const std::uint8_t want[2][3] = {{0, 128, 255}, {0, 255, 0}};
  viz::canvas cv(12, 14, bg);
  cv.blit_gray(1, 2, img, 3);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 14; ++x) {
      const bool in = y >= 1 && y < 7 && x >= 2 && x < 11;
      const std::uint8_t g = in ? want[(y - 1) / 3][(x - 2) / 3] : 0;
      INFO("pixel " << y << ", " << x);
      CHECK(cv.at(y, x) == (in ? rgb{g, g, g} : bg));
    }
  // Partly off the top-left corner: the visible part is the bottom-right of the scaled image.
  viz::canvas clip(4, 4, bg);
  clip.blit_gray(-3, -5, img, 3);  // scaled 6×9 at (-3, -5): canvas rows 0..2, cols 0..3 are covered
  CHECK(clip.at(0, 0) == rgb{255, 255, 255});  // source (1, 1) = 2, clamped
  CHECK(clip.at(2, 3) == rgb{0, 0, 0});        // source (1, 2) = NaN
  CHECK(clip.at(3, 0) == bg);
  CHECK(clip.at(0, 3) == rgb{0, 0, 0});
  CHECK_THROWS_WITH(clip.blit_gray(0, 0, img, 0), Contains("scale must be"));
}

TEST_CASE("label_color: black background, distinct colors, every id colored", "[viz]") {
  CHECK(viz::label_color(0) == viz::black);
  std::set<std::tuple<int, int, int>> seen;
  for (int id = 1; id <= 8; ++id) {
    const rgb c = viz::label_color(id);
    CHECK_FALSE(c == viz::black);
    CHECK_FALSE(c == viz::white);
    seen.insert({c.r, c.g, c.b});
  }
  CHECK(seen.size() == 8);
  CHECK_FALSE(viz::label_color(255) == viz::black);
  CHECK(viz::label_color(1 + static_cast<int>(viz::label_palette.size())) == viz::label_color(1));

  data::image2d<std::uint8_t> lbl = {{0, 1}, {2, 255}};
  viz::canvas cv(4, 4, bg);
  cv.blit_labels(0, 0, lbl, 2);
  CHECK(cv.at(1, 1) == viz::black);
  CHECK(cv.at(0, 3) == viz::label_color(1));
  CHECK(cv.at(3, 0) == viz::label_color(2));
  CHECK(cv.at(2, 2) == viz::label_color(255));
}

TEST_CASE("line includes both endpoints and clips far endpoints", "[viz]") {
  viz::canvas cv(10, 10, bg);
  cv.line(2, 1, 2, 6, red);
  int outside = 0;
  CHECK(ink_inside(cv, bg, 2, 1, 3, 7, &outside) == 6);
  CHECK(outside == 0);

  viz::canvas d(10, 10, bg);
  d.line(0, 0, 9, 9, red);  // the diagonal, exactly
  for (int i = 0; i < 10; ++i) CHECK(d.at(i, i) == red);
  CHECK(ink_inside(d, bg, 0, 0, 10, 10, &outside) == 10);

  viz::canvas far(10, 10, bg);
  far.line(5, -1000000000, 5, 1000000000, red);  // clipped first: no billion-step loop
  CHECK(ink_inside(far, bg, 5, 0, 6, 10, &outside) == 10);
  CHECK(outside == 0);
  far.line(-5, -5, -1, 20, red);  // wholly above the canvas
  far.line(3, 3, 3, 3, red);      // a single point
  CHECK(ink_inside(far, bg, 3, 0, 6, 10, &outside) == 11);
  CHECK(outside == 0);
}

TEST_CASE("draw_text stays inside its text box", "[viz]") {
  const std::string s = "Hello, mvg 1e-2 (g|y) ~{}";
  for (int scale : {1, 2, 3}) {
    INFO("scale " << scale);
    viz::canvas cv(60, 600, bg);
    REQUIRE(11 + viz::text_width(s, scale) <= cv.width());
    const int y = 7, x = 11;
    viz::draw_text(cv, y, x, s, red, scale);
    int outside = 0;
    const int in = ink_inside(cv, bg, y, x, y + viz::text_height(scale), x + viz::text_width(s, scale), &outside);
    CHECK(in > 50 * scale * scale);
    CHECK(outside == 0);
    // Ink reaches the last glyph: the text is not truncated.
    bool right_end = false;
    for (int yy = 0; yy < cv.height(); ++yy)
      for (int xx = x + viz::text_width(s.substr(0, s.size() - 1), scale); xx < cv.width(); ++xx)
        right_end = right_end || cv.at(yy, xx) == red;
    CHECK(right_end);
  }
  CHECK(viz::text_width("") == 0);
  CHECK(viz::text_width("ab", 2) == 2 * viz::text_width("ab"));
  CHECK(viz::text_width("ab") == viz::text_width("a") + viz::text_width("b"));
  CHECK(viz::text_height(2) == 2 * viz::text_height(1));
  // Bytes stb has no glyph for are drawn as '?', so they cannot index past its table.
  CHECK(viz::text_width("a\n\x7f\xff") == viz::text_width("a???"));
  viz::canvas odd(20, 60, bg);
  viz::draw_text(odd, 2, 2, "a\n\x7f\xff", red);
  viz::canvas q(20, 60, bg);
  viz::draw_text(q, 2, 2, "a???", red);
  CHECK(odd.pixels() == q.pixels());
  // Text hanging off any edge is clipped, not an error.
  viz::canvas edge(8, 8, bg);
  viz::draw_text(edge, -5, -9, "clipped text", red, 2);
  viz::draw_text(edge, 6, 6, "x", red);
  CHECK_THROWS_WITH(viz::draw_text(edge, 0, 0, "x", red, 0), Contains("scale must be"));
}

TEST_CASE("picture_grid places tiles and titles by its layout", "[viz]") {
  data::image2d<float> small = xt::xtensor<float, 2>::from_shape({4, 6});
  small.fill(0.5f);
  data::image2d<std::uint8_t> big = xt::xtensor<std::uint8_t, 2>::from_shape({8, 5});
  big.fill(3);
  const std::vector<std::string> cols = {"image", "a much longer column title", "labels"};
  const std::vector<std::string> rows_t = {"case 1", "case 2"};
  const std::vector<std::vector<viz::tile>> rows = {
      {viz::gray_tile(small), viz::gray_tile(small), viz::label_tile(big)},
      {viz::label_tile(big), viz::tile{}, viz::gray_tile(small)}};
  const int scale = 2;
  const auto cv = viz::picture_grid(cols, rows_t, rows, scale);
  const auto g = viz::layout_grid(cols, rows_t, rows, scale);

  // The layout from first principles: cells of the largest tile, widened to the longest column title.
  const int cell_w = std::max(6 * scale, viz::text_width(cols[1]));
  const int cell_h = 8 * scale;
  const int left = viz::grid_margin + viz::text_width("case 1") + viz::grid_gap;
  const int top = viz::grid_margin + viz::text_height() + viz::grid_gap;
  CHECK(g.cell_w == cell_w);
  CHECK(g.cell_h == cell_h);
  CHECK(cv.width() == left + 3 * cell_w + 2 * viz::grid_gap + viz::grid_margin);
  CHECK(cv.height() == top + 2 * cell_h + viz::grid_gap + viz::grid_margin);

  // Each tile centred in its cell; the blank tile leaves its cell white.
  auto centre = [&](int r, int c) { return cv.at(g.cell_y(r) + g.cell_h / 2, g.cell_x(c) + g.cell_w / 2); };
  const rgb mid{128, 128, 128};
  CHECK(centre(0, 0) == mid);
  const int ty = g.cell_y(0) + (cell_h - 4 * scale) / 2, tx = g.cell_x(0) + (cell_w - 6 * scale) / 2;
  CHECK(cv.at(ty, tx) == mid);  // the small tile's corners, exactly where centring puts them
  CHECK(cv.at(ty + 4 * scale - 1, tx + 6 * scale - 1) == mid);
  CHECK(cv.at(ty - 1, tx) == viz::white);
  CHECK(cv.at(ty, tx - 1) == viz::white);
  CHECK(cv.at(ty + 4 * scale, tx) == viz::white);
  CHECK(centre(0, 2) == viz::label_color(3));
  CHECK(centre(1, 0) == viz::label_color(3));
  int outside = 0;
  CHECK(ink_inside(cv, viz::white, g.cell_y(1), g.cell_x(1), g.cell_y(1) + cell_h, g.cell_x(1) + cell_w, &outside) ==
        0);
  // Titles: black ink above the columns and left of the rows, none in the gaps between cells.
  CHECK(ink_inside(cv, viz::white, 0, g.left, g.top - viz::grid_gap, cv.width(), &outside) > 0);
  CHECK(ink_inside(cv, viz::white, g.top, 0, cv.height(), g.left - viz::grid_gap, &outside) > 0);

  CHECK_THROWS_WITH(viz::picture_grid(cols, rows_t, {rows[0], {rows[1][0]}}, 1),
                    Contains("row 1 has 1 tiles, expected 3"));
  CHECK_THROWS_WITH(viz::picture_grid(cols, rows_t, {}, 1), Contains("no rows"));
  CHECK_THROWS_WITH(viz::picture_grid({}, {}, {{}}, 1), Contains("row 0 has no tiles"));
  CHECK_THROWS_WITH(viz::picture_grid({"one"}, rows_t, rows, 1), Contains("1 column titles for 3 columns"));
  CHECK_THROWS_WITH(viz::picture_grid(cols, {"one"}, rows, 1), Contains("1 row titles for 2 rows"));
  // Titles are optional.
  const auto bare = viz::picture_grid({}, {}, rows, 1);
  CHECK(bare.width() == 2 * viz::grid_margin + 3 * 6 + 2 * viz::grid_gap);
  CHECK(bare.height() == 2 * viz::grid_margin + 2 * 8 + viz::grid_gap);
}

TEST_CASE("canvas::save writes a PNG that reads back pixel for pixel", "[viz]") {
  scratch s;
  viz::canvas cv(17, 23, bg);
  for (int y = 0; y < 17; ++y)
    for (int x = 0; x < 23; ++x)
      cv.set(y, x, rgb{static_cast<std::uint8_t>(y * 13), static_cast<std::uint8_t>(x * 11),
                       static_cast<std::uint8_t>((x + y) * 5)});
  viz::draw_text(cv, 2, 2, "ok", red);
  const auto path = s.dir / "canvas.png";
  cv.save(path);
  const auto back = data::read_image_u8(path);
  REQUIRE(back.shape() == cv.pixels().shape());
  CHECK(back == cv.pixels());
}
