// Line plots: curves where layout_plot maps them, inside the plot area, and no crash (or NaN pixel
// arithmetic) on empty, non-finite, non-positive or one-point data. This file also includes text.hpp,
// as viz_test.cpp does: stb_easy_font in two translation units of one binary must link.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "mvg/viz/line_plot.hpp"
#include "mvg/viz/text.hpp"

using namespace mvg;
using viz::rgb;
using Catch::Contains;

namespace {
constexpr rgb red{220, 0, 0}, blue{0, 0, 220};
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Pixels of color c inside and outside the plot area.
std::pair<int, int> count_color(const viz::canvas& cv, const viz::plot_layout& l, rgb c) {
  int in = 0, out = 0;
  for (int y = 0; y < cv.height(); ++y)
    for (int x = 0; x < cv.width(); ++x)
      if (cv.at(y, x) == c)
        (y >= l.top && y < l.top + l.height && x >= l.left && x < l.left + l.width ? in : out) += 1;
  return {in, out};
}

viz::series decay(std::string name, rgb color, double factor) {
  viz::series s{std::move(name), color, {}, {}};
  for (int i = 0; i < 100; ++i) s.x.push_back(i), s.y.push_back(factor * std::pow(10.0, -3.0 * i / 99.0));
  return s;
}
}  // namespace

TEST_CASE("loss curves land where the layout maps them, inside the plot area", "[viz]") {
  const std::vector<viz::series> all = {decay("train", red, 1.0), decay("val", blue, 2.0)};
  viz::plot_options o;
  o.title = "loss";
  o.x_label = "step";
  o.y_label = "loss (log)";
  const auto cv = viz::line_plot(all, o);
  const auto l = viz::layout_plot(all, o);
  REQUIRE(cv.width() == 800);
  REQUIRE(cv.height() == 480);
  for (const auto& s : all)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      INFO(s.name << " point " << i);
      CHECK(cv.at(l.to_y(s.y[i]), l.to_x(s.x[i])) == s.color);
    }
  for (rgb c : {red, blue}) {
    const auto [in, out] = count_color(cv, l, c);
    CHECK(in > 300);  // a curve across the plot, not a few dots
    CHECK(out == 0);
  }
  // y from 1e-3 to 2: decades 1e-3 … 1e1, each a tick; x 0..99 in round steps of 10.
  CHECK(l.y.labels == std::vector<std::string>{"1e-3", "1e-2", "1e-1", "1e0", "1e1"});
  CHECK(l.x.labels == std::vector<std::string>{"0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"});
  CHECK(l.to_x(0.0) < l.to_x(100.0));
  CHECK(l.to_y(1e-3) > l.to_y(1e1));  // y up
  CHECK(l.to_y(1e-3) < l.top + l.height);
  CHECK(l.to_y(1e1) >= l.top);
}

TEST_CASE("linear y ticks are round numbers around the data", "[viz]") {
  viz::series s{"", red, {0.0, 1.0, 2.0, 3.0}, {-0.3, 0.1, 0.25, 0.9}};
  viz::plot_options o;
  o.log_y = false;
  o.width = 400;
  o.height = 300;
  const auto l = viz::layout_plot({s}, o);
  CHECK(l.y.lo <= -0.3);
  CHECK(l.y.hi >= 0.9);
  CHECK(l.y.labels.front() == "-0.4");
  CHECK(l.y.labels.back() == "1.0");
  CHECK(std::find(l.y.labels.begin(), l.y.labels.end(), "0.0") != l.y.labels.end());  // not "-0.0"
  const auto cv = viz::line_plot({s}, o);
  CHECK(cv.at(l.to_y(-0.3), l.to_x(0.0)) == red);
  CHECK(count_color(cv, l, red).second == 0);
}

TEST_CASE("empty, non-finite and one-point series still give a plot", "[viz]") {
  viz::plot_options o;
  o.width = 320;
  o.height = 200;
  SECTION("no series at all: axes, no crash") {
    const auto cv = viz::line_plot({}, o);
    const auto l = viz::layout_plot({}, o);
    CHECK(l.y.labels == std::vector<std::string>{"1e-1", "1e0"});
    CHECK(cv.at(l.top - 1, l.left + l.width / 2) == rgb{90, 90, 90});  // the frame
  }
  SECTION("series with nothing drawable on a log axis") {
    const std::vector<viz::series> all = {{"zeros", red, {0, 1, 2}, {0.0, -1.0, not_a_number}},
                                          {"empty", blue, {}, {}},
                                          {"inf", red, {not_a_number, std::numeric_limits<double>::infinity()}, {1.0, 1.0}}};
    const auto cv = viz::line_plot(all, o);
    const auto l = viz::layout_plot(all, o);
    CHECK(l.x.lo == 0.0);
    CHECK(l.x.hi == 1.0);
    // Only the legend shows the names (red "zeros", "inf"; blue "empty"); no curve.
    int curve = 0;
    for (int y = l.top + l.height / 2; y < l.top + l.height; ++y)
      for (int x = l.left; x < l.left + l.width; ++x) curve += cv.at(y, x) == red || cv.at(y, x) == blue;
    CHECK(curve == 0);
  }
  SECTION("a one-point series is a dot") {
    const std::vector<viz::series> all = {{"", red, {5.0}, {0.01}}};
    const auto cv = viz::line_plot(all, o);
    const auto l = viz::layout_plot(all, o);
    const int py = l.to_y(0.01), px = l.to_x(5.0);
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) CHECK(cv.at(py + dy, px + dx) == red);
    CHECK(count_color(cv, l, red) == std::pair<int, int>{9, 0});
  }
  SECTION("a NaN breaks the line, an isolated point becomes a dot") {
    viz::series s{"", red, {}, {}};
    for (int i = 0; i <= 10; ++i) s.x.push_back(i), s.y.push_back(0.5);
    s.y[1] = not_a_number, s.y[3] = not_a_number, s.y[7] = -1.0;  // log: -1 is skipped too
    const auto cv = viz::line_plot({s}, o);
    const auto l = viz::layout_plot({s}, o);
    const int row = l.to_y(0.5);
    CHECK(cv.at(row, l.to_x(0.0)) == red);
    CHECK(cv.at(row - 1, l.to_x(2.0)) == red);  // point 2 has no neighbours: a dot
    CHECK(cv.at(row, (l.to_x(0.0) + l.to_x(2.0)) / 2) != red);  // 0 and 2 are not joined across the NaN
    CHECK(cv.at(row, (l.to_x(4.0) + l.to_x(6.0)) / 2) == red);  // 4..6 are
    CHECK(cv.at(row, (l.to_x(6.0) + l.to_x(8.0)) / 2) != red);
    CHECK(count_color(cv, l, red).second == 0);
  }
  SECTION("extreme values neither hang nor escape the plot") {
    const viz::series wide{"", red, {1e300, 1e300, -1e300}, {1e300, 1e-300, 1.0}};
    // Two x values one ulp apart near 1e300: no round tick step fits, so only the ends are labelled.
    const viz::series thin{"", red, {1e300, std::nextafter(1e300, 2e300)}, {1.0, 2.0}};
    for (const auto& s : {wide, thin})
      for (bool log : {true, false}) {
        o.log_y = log;
        const auto cv = viz::line_plot({s}, o);
        const auto l = viz::layout_plot({s}, o);
        CHECK(count_color(cv, l, red).second == 0);
        CHECK(count_color(cv, l, red).first > 0);
        CHECK(l.x.ticks.size() >= 2);
      }
  }
}

TEST_CASE("line_plot rejects malformed input with a message", "[viz]") {
  viz::plot_options o;
  CHECK_THROWS_WITH(viz::line_plot({{"bad", red, {1, 2, 3}, {1, 2}}}, o),
                    Contains("series 'bad' has 3 x values and 2 y values"));
  o.width = 40;
  o.height = 30;
  CHECK_THROWS_WITH(viz::line_plot({}, o), Contains("leaves no room for the plot"));
  o.width = 0;
  CHECK_THROWS_WITH(viz::line_plot({}, o), Contains("expected positive"));
}
