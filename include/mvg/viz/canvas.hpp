// mvg/viz/canvas.hpp: an RGB raster that the example programs draw results into and save as PNG.
// Contract: a canvas is (height, width, 3) bytes, row-major, origin top-left, y down. Every drawing call
// clips to the canvas, so callers may draw partly (or wholly) outside it without checking. Grey images
// are [0, 1] floats (clamped; NaN draws black, as write_png does); label maps draw through label_color,
// a fixed palette in which 0 (background) is black and every other id has a saturated color. Sizes are
// limited by what write_png accepts (1..max_image_side per side), so a canvas is always saveable.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include <xtensor/xtensor.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/data/formats/image_io.hpp"

namespace mvg::viz {

struct rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const rgb&, const rgb&) = default;
};

inline constexpr rgb black{0, 0, 0};
inline constexpr rgb white{255, 255, 255};

// Colors picked to stay apart from each other and from black (background) and white (page); after the
// last one the palette repeats, so ids such as 255 (an "ignore" label) still get a visible color.
inline constexpr std::array<rgb, 12> label_palette{{
    {230, 25, 75},   // red
    {60, 180, 75},   // green
    {0, 130, 200},   // blue
    {255, 200, 0},   // yellow
    {245, 130, 48},  // orange
    {145, 30, 180},  // purple
    {70, 220, 230},  // cyan
    {240, 50, 230},  // magenta
    {160, 210, 40},  // lime
    {0, 128, 128},   // teal
    {170, 110, 40},  // brown
    {0, 0, 128},     // navy
}};

inline constexpr rgb label_color(int id) {
  if (id <= 0) return black;
  return label_palette[static_cast<std::size_t>(id - 1) % label_palette.size()];
}

class canvas {
public:
  canvas(int height, int width, rgb background = white) {
    MVG_CHECK(height >= 1 && width >= 1 && height <= data::max_image_side && width <= data::max_image_side,
              "canvas: size is ", height, "×", width, ", expected 1..", data::max_image_side, " per side");
    px_ = xt::xtensor<std::uint8_t, 3>::from_shape(
        {static_cast<std::size_t>(height), static_cast<std::size_t>(width), std::size_t{3}});
    fill_rect(0, 0, height, width, background);
  }

  int height() const { return static_cast<int>(px_.shape()[0]); }
  int width() const { return static_cast<int>(px_.shape()[1]); }
  const xt::xtensor<std::uint8_t, 3>& pixels() const { return px_; }

  rgb at(int y, int x) const {
    MVG_CHECK(inside(y, x), "canvas::at: pixel (", y, ", ", x, ") outside the ", height(), "×", width(), " canvas");
    const std::uint8_t* p = px_.data() + offset(y, x);
    return {p[0], p[1], p[2]};
  }

  // Out-of-bounds pixels are dropped silently: that is what makes every caller's clipping free.
  void set(int y, int x, rgb c) {
    if (!inside(y, x)) return;
    std::uint8_t* p = px_.data() + offset(y, x);
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }

  void fill_rect(int y, int x, int h, int w, rgb c) { fill_clipped(y, x, h, w, c); }

  // Each source pixel becomes a scale×scale block (nearest neighbour: no blur between labels/pixels).
  void blit_gray(int y, int x, const data::image2d<float>& img, int scale = 1) {
    MVG_CHECK(scale >= 1, "canvas::blit_gray: scale must be ≥ 1, got ", scale);
    blit(y, x, img.shape()[0], img.shape()[1], scale, [&](std::size_t r, std::size_t c) {
      const float v = img(r, c);
      const double f = std::isfinite(v) ? std::clamp(static_cast<double>(v), 0.0, 1.0) : 0.0;
      const auto g = static_cast<std::uint8_t>(std::lround(f * 255.0));
      return rgb{g, g, g};
    });
  }

  void blit_labels(int y, int x, const data::image2d<std::uint8_t>& labels, int scale = 1) {
    MVG_CHECK(scale >= 1, "canvas::blit_labels: scale must be ≥ 1, got ", scale);
    blit(y, x, labels.shape()[0], labels.shape()[1], scale,
         [&](std::size_t r, std::size_t c) { return label_color(labels(r, c)); });
  }

  // Bresenham between the endpoints, both included. The segment is first clipped to the canvas
  // (Liang–Barsky), so a line with far-away endpoints costs only the pixels that land on the canvas.
  void line(int y0, int x0, int y1, int x1, rgb c) {
    double t0 = 0.0, t1 = 1.0;
    const double dx = static_cast<double>(x1) - x0, dy = static_cast<double>(y1) - y0;
    // Each (p, q) pair is one canvas edge: the point x0 + t·dx must satisfy p·t ≤ q.
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {static_cast<double>(x0), static_cast<double>(width() - 1) - x0, static_cast<double>(y0),
                         static_cast<double>(height() - 1) - y0};
    for (int i = 0; i < 4; ++i) {
      if (p[i] == 0.0) {
        if (q[i] < 0.0) return;  // parallel to this edge and outside it
      } else {
        const double t = q[i] / p[i];
        if (p[i] < 0.0) t0 = std::max(t0, t);
        else t1 = std::min(t1, t);
      }
    }
    if (t0 > t1) return;
    int ax = static_cast<int>(std::lround(x0 + t0 * dx)), ay = static_cast<int>(std::lround(y0 + t0 * dy));
    const int bx = static_cast<int>(std::lround(x0 + t1 * dx)), by = static_cast<int>(std::lround(y0 + t1 * dy));
    const int sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
    const int ddx = std::abs(bx - ax), ddy = -std::abs(by - ay);
    int err = ddx + ddy;
    for (;;) {
      set(ay, ax, c);
      if (ax == bx && ay == by) break;
      const int e2 = 2 * err;
      if (e2 >= ddy) err += ddy, ax += sx;
      if (e2 <= ddx) err += ddx, ay += sy;
    }
  }

  void save(const std::filesystem::path& path) const { data::write_png(path, px_); }

private:
  xt::xtensor<std::uint8_t, 3> px_;

  bool inside(long long y, long long x) const { return y >= 0 && x >= 0 && y < height() && x < width(); }
  std::size_t offset(int y, int x) const {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width()) + static_cast<std::size_t>(x)) * 3;
  }

  // 64-bit so that origin + size·scale cannot overflow before clipping.
  void fill_clipped(long long y, long long x, long long h, long long w, rgb c) {
    const long long y0 = std::max(y, 0LL), x0 = std::max(x, 0LL);
    const long long y1 = std::min(y + h, static_cast<long long>(height()));
    const long long x1 = std::min(x + w, static_cast<long long>(width()));
    for (long long r = y0; r < y1; ++r)
      for (long long col = x0; col < x1; ++col) set(static_cast<int>(r), static_cast<int>(col), c);
  }

  template <class Color>
  void blit(int y, int x, std::size_t rows, std::size_t cols, int scale, Color&& color_of) {
    const long long s = scale;
    for (std::size_t r = 0; r < rows; ++r) {
      const long long py = y + static_cast<long long>(r) * s;
      if (py >= height()) break;
      if (py + s <= 0) continue;
      for (std::size_t c = 0; c < cols; ++c) {
        const long long px = x + static_cast<long long>(c) * s;
        if (px >= width()) break;
        if (px + s > 0) fill_clipped(py, px, s, s, color_of(r, c));
      }
    }
  }
};

}  // namespace mvg::viz
