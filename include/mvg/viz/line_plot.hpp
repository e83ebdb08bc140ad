// mvg/viz/line_plot.hpp: x–y line charts (the training loss curve) drawn straight into a canvas, so the
// examples need no plotting tool to show how training went.
// Contract: a point is drawn only if |x|, |y| ≤ 1e300 (so NaN and ±inf are skipped) and, with log_y,
// y > 0. A skipped point breaks its series' line, and a point with no drawable neighbour is drawn as a
// 3×3 dot (so a 1-point series is visible). Series may differ in length; within one, x.size() must equal
// y.size(). Axis ranges come from the drawable points: linear axes widen to round tick steps (1, 2 or
// 5 × 10^k), a log axis to whole decades labelled like "1e-2"; with nothing drawable the axes still
// appear (x 0..1; y 0..1, or 1e-1..1e0 when log). Named series are listed in their color in a legend
// at the top right of the plot area.
// layout_plot gives the exact mapping line_plot uses, so callers can place marks of their own.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/viz/canvas.hpp"
#include "mvg/viz/text.hpp"

namespace mvg::viz {

struct series {
  std::string name;
  rgb color;
  std::vector<double> x, y;
};

struct plot_options {
  int width = 800, height = 480;
  bool log_y = true;
  std::string title, x_label, y_label;
};

struct plot_axis {
  bool log = false;
  double lo = 0.0, hi = 1.0;  // log: exponents of ten
  std::vector<double> ticks;  // data values
  std::vector<std::string> labels;
  double unit(double v) const { return ((log ? std::log10(v) : v) - lo) / (hi - lo); }  // 0..1 over the axis
};

struct plot_layout {
  int top = 0, left = 0, height = 0, width = 0;  // plot area; the frame is drawn just outside it
  plot_axis x, y;
  static constexpr int inset = 3;  // keeps line ends and dots off the frame
  // ±1e300 bounds every range and step away from overflow; no real curve comes near them.
  bool drawable(double vx, double vy) const {
    return std::abs(vx) <= 1e300 && std::abs(vy) <= 1e300 && (!y.log || vy > 0.0);
  }
  int to_x(double v) const { return left + inset + static_cast<int>(std::lround(x.unit(v) * (width - 1 - 2 * inset))); }
  int to_y(double v) const {
    return top + inset + static_cast<int>(std::lround((1.0 - y.unit(v)) * (height - 1 - 2 * inset)));
  }
};

namespace detail {

inline std::string format_tick(double v, double step) {
  char buf[32];
  if (std::abs(v) < step * 1e-9) v = 0.0;  // no "-0" or "1e-17" from accumulated rounding
  const double mag = std::max(std::abs(v), step);
  if (mag >= 1e6 || step < 1e-4) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9))), v);
  return buf;
}

// [lo, hi] widened to multiples of a 1-2-5 step giving about `target` intervals.
inline plot_axis linear_axis(double lo, double hi, int target) {
  plot_axis a;
  if (!(lo <= hi)) lo = 0.0, hi = 1.0;  // nothing drawable
  if (lo == hi) {
    const double half = lo == 0.0 ? 0.5 : std::abs(lo) * 0.05;
    lo -= half, hi += half;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw))), f = raw / mag;
  const double step = (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
  const double k0 = std::floor(lo / step), k1 = std::ceil(hi / step);
  if (!(k1 > k0 && k1 - k0 <= 1000 && std::abs(k0) < 1e15)) {  // a span too thin for its magnitude
    a.lo = lo, a.hi = hi;
    a.ticks = {lo, hi};
    for (double t : a.ticks) a.labels.push_back(format_tick(t, std::abs(t) + 1.0));
    return a;
  }
  a.lo = k0 * step, a.hi = k1 * step;
  for (int i = 0; i <= static_cast<int>(k1 - k0); ++i) {
    a.ticks.push_back((k0 + i) * step);
    a.labels.push_back(format_tick(a.ticks.back(), step));
  }
  return a;
}

// Whole decades around [lo, hi] (both > 0), a tick on every decade or every few if there are many.
inline plot_axis log_axis(double lo, double hi, int target) {
  plot_axis a;
  a.log = true;
  if (!(lo <= hi)) lo = 0.1, hi = 1.0;
  a.lo = std::floor(std::log10(lo));
  a.hi = std::max(std::ceil(std::log10(hi)), a.lo + 1.0);
  const double every = std::max(1.0, std::ceil((a.hi - a.lo) / std::max(1, target)));
  for (double k = std::ceil(a.lo / every) * every; k <= a.hi; k += every) {
    a.ticks.push_back(std::pow(10.0, k));
    a.labels.push_back("1e" + std::to_string(static_cast<int>(k)));
  }
  return a;
}

}  // namespace detail

inline plot_layout layout_plot(const std::vector<series>& all, const plot_options& opt) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  MVG_CHECK(opt.width >= 1 && opt.height >= 1, "line_plot: size is ", opt.height, "×", opt.width,
            ", expected positive");
  plot_layout l;
  l.y.log = opt.log_y;
  double x0 = inf, x1 = -inf, y0 = inf, y1 = -inf;
  for (const auto& s : all) {
    MVG_CHECK(s.x.size() == s.y.size(), "line_plot: series '", s.name, "' has ", s.x.size(), " x values and ",
              s.y.size(), " y values");
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (l.drawable(s.x[i], s.y[i]))
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]), y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
  }
  l.x = detail::linear_axis(x0, x1, std::max(2, opt.width / 110));
  l.y = opt.log_y ? detail::log_axis(y0, y1, std::max(2, opt.height / 40))
                  : detail::linear_axis(y0, y1, std::max(2, opt.height / 70));
  constexpr int margin = 10, tick = 5;
  int y_label_w = 0, x_label_w = 0;
  for (const auto& s : l.y.labels) y_label_w = std::max(y_label_w, text_width(s));
  for (const auto& s : l.x.labels) x_label_w = std::max(x_label_w, text_width(s));
  l.top = margin + (opt.title.empty() ? 0 : text_height(2) + 6) + (opt.y_label.empty() ? 0 : text_height() + 4);
  l.left = margin + y_label_w + 4 + tick;
  const int bottom = margin + tick + 3 + text_height() + (opt.x_label.empty() ? 0 : 4 + text_height());
  const int right = margin + x_label_w / 2;
  l.width = opt.width - l.left - right;
  l.height = opt.height - l.top - bottom;
  MVG_CHECK(l.width >= 2 * plot_layout::inset + 16 && l.height >= 2 * plot_layout::inset + 16, "line_plot: a ",
            opt.height, "×", opt.width, " canvas leaves no room for the plot next to its labels");
  return l;
}

inline canvas line_plot(const std::vector<series>& all, const plot_options& opt) {
  const plot_layout l = layout_plot(all, opt);
  canvas cv(opt.height, opt.width, white);
  const rgb ink{0, 0, 0}, grid_ink{225, 225, 225}, frame_ink{90, 90, 90};
  const int bottom = l.top + l.height, right = l.left + l.width, th = text_height();
  for (std::size_t i = 0; i < l.x.ticks.size(); ++i) {
    const int px = l.to_x(l.x.ticks[i]);
    cv.line(l.top, px, bottom - 1, px, grid_ink);
    cv.line(bottom, px, bottom + 4, px, frame_ink);
    draw_text(cv, bottom + 8, px - text_width(l.x.labels[i]) / 2, l.x.labels[i], ink);
  }
  for (std::size_t i = 0; i < l.y.ticks.size(); ++i) {
    const int py = l.to_y(l.y.ticks[i]);
    cv.line(py, l.left, py, right - 1, grid_ink);
    cv.line(py, l.left - 5, py, l.left - 1, frame_ink);
    draw_text(cv, py - th / 2 + 1, l.left - 9 - text_width(l.y.labels[i]), l.y.labels[i], ink);
  }
  cv.line(l.top - 1, l.left - 1, l.top - 1, right, frame_ink);
  cv.line(bottom, l.left - 1, bottom, right, frame_ink);
  cv.line(l.top - 1, l.left - 1, bottom, l.left - 1, frame_ink);
  cv.line(l.top - 1, right, bottom, right, frame_ink);
  if (!opt.title.empty())
    draw_text(cv, 10, (opt.width - text_width(opt.title, 2)) / 2, opt.title, ink, 2);
  if (!opt.y_label.empty()) draw_text(cv, l.top - th - 4, 10, opt.y_label, ink);
  if (!opt.x_label.empty())
    draw_text(cv, bottom + 12 + th, l.left + (l.width - text_width(opt.x_label)) / 2, opt.x_label, ink);

  for (const auto& s : all) {
    const std::size_t n = s.x.size();
    auto ok = [&](std::size_t i) { return i < n && l.drawable(s.x[i], s.y[i]); };
    for (std::size_t i = 0; i < n; ++i) {
      if (!ok(i)) continue;
      const int px = l.to_x(s.x[i]), py = l.to_y(s.y[i]);
      if (ok(i + 1)) cv.line(py, px, l.to_y(s.y[i + 1]), l.to_x(s.x[i + 1]), s.color);
      else if (i == 0 || !ok(i - 1)) cv.fill_rect(py - 1, px - 1, 3, 3, s.color);
    }
  }

  // Legend last, so no curve hides a name.
  int rows = 0, name_w = 0;
  for (const auto& s : all)
    if (!s.name.empty()) ++rows, name_w = std::max(name_w, text_width(s.name));
  if (rows == 0) return cv;
  const int row_h = th + 2, box_w = 6 + 18 + 4 + name_w + 6, box_h = rows * row_h + 8;
  const int bx = right - 6 - box_w, by = l.top + 6;
  cv.fill_rect(by, bx, box_h, box_w, white);
  cv.line(by, bx, by, bx + box_w - 1, frame_ink);
  cv.line(by + box_h - 1, bx, by + box_h - 1, bx + box_w - 1, frame_ink);
  cv.line(by, bx, by + box_h - 1, bx, frame_ink);
  cv.line(by, bx + box_w - 1, by + box_h - 1, bx + box_w - 1, frame_ink);
  int row = 0;
  for (const auto& s : all) {
    if (s.name.empty()) continue;
    const int ry = by + 4 + row++ * row_h;
    cv.fill_rect(ry + th / 2 - 2, bx + 6, 2, 18, s.color);
    draw_text(cv, ry, bx + 6 + 18 + 4, s.name, s.color);
  }
  return cv;
}

}  // namespace mvg::viz
