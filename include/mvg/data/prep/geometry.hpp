// mvg/data/prep/geometry.hpp: 2-D slices out of volumes and their geometry: extraction along any axis,
// display orientation, zero pad to square, resize (bilinear for images, nearest for labels), crops.
// Contract: a slice along `axis` keeps the other two axes in their order as (rows, cols). Resizing uses
// pixel-centre alignment (align_corners = false); bilinear shrinking widens the triangle filter by the
// scale factor (antialiasing, as PIL and torch's antialias=True) so a 181-pixel slice shrunk to 64 does
// not alias; when enlarging it is plain bilinear. Nearest never invents label values.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"

namespace mvg::data {

template <class T>
using image2d = xt::xtensor<T, 2>;

// Slice `index` along `axis` of a 3-D array (xarray or xtensor), as (rows, cols) = the remaining axes.
template <class T, class E>
image2d<T> extract_slice(const E& vol, std::size_t axis, std::size_t index) {
  MVG_CHECK(vol.dimension() == 3, "extract_slice: expected a 3-D volume, got ", vol.dimension(), " dims");
  MVG_CHECK(axis < 3, "extract_slice: axis must be 0, 1 or 2, got ", axis);
  const auto& s = vol.shape();
  MVG_CHECK(index < s[axis], "extract_slice: index ", index, " outside 0..", s[axis] - 1, " on axis ", axis);
  const std::size_t a = axis == 0 ? 1 : 0, b = axis == 2 ? 1 : 2;
  image2d<T> out = image2d<T>::from_shape({s[a], s[b]});
  const auto* d = vol.data();
  const std::size_t st[3] = {s[1] * s[2], s[2], 1};
  for (std::size_t r = 0; r < s[a]; ++r)
    for (std::size_t c = 0; c < s[b]; ++c)
      out(r, c) = static_cast<T>(d[index * st[axis] + r * st[a] + c * st[b]]);
  return out;
}

// Rotates 90° counter-clockwise: out(r, c) = in(c, rows_out - 1 - r). A RAS (x, y) slice becomes a
// radiologist's view with anterior (or superior) at the top.
template <class T>
image2d<T> rotate90(const image2d<T>& in) {
  const std::size_t h = in.shape()[0], w = in.shape()[1];
  image2d<T> out = image2d<T>::from_shape({w, h});
  for (std::size_t r = 0; r < w; ++r)
    for (std::size_t c = 0; c < h; ++c) out(r, c) = in(c, w - 1 - r);
  return out;
}

template <class T>
image2d<T> flip_horizontal(const image2d<T>& in) {
  image2d<T> out = in;
  const std::size_t h = in.shape()[0], w = in.shape()[1];
  for (std::size_t r = 0; r < h; ++r)
    for (std::size_t c = 0; c < w; ++c) out(r, c) = in(r, w - 1 - c);
  return out;
}

// Centres the image on a zero (or `fill`) square canvas of side max(h, w).
template <class T>
image2d<T> pad_to_square(const image2d<T>& in, T fill = T(0)) {
  const std::size_t h = in.shape()[0], w = in.shape()[1], n = std::max(h, w);
  image2d<T> out = image2d<T>::from_shape({n, n});
  std::fill(out.begin(), out.end(), fill);
  const std::size_t r0 = (n - h) / 2, c0 = (n - w) / 2;
  for (std::size_t r = 0; r < h; ++r)
    for (std::size_t c = 0; c < w; ++c) out(r0 + r, c0 + c) = in(r, c);
  return out;
}

namespace detail {

// 1-D resampling weights of a triangle filter widened by the shrink factor (PIL's scheme).
struct resample_taps {
  std::vector<std::size_t> first;
  std::vector<std::vector<float>> w;
};
inline resample_taps bilinear_taps(std::size_t in, std::size_t out) {
  resample_taps t;
  const double scale = static_cast<double>(in) / static_cast<double>(out), support = std::max(scale, 1.0);
  for (std::size_t o = 0; o < out; ++o) {
    const double centre = (static_cast<double>(o) + 0.5) * scale;
    const auto lo = static_cast<std::ptrdiff_t>(std::max(0.0, std::floor(centre - support)));
    const auto hi = static_cast<std::ptrdiff_t>(std::min(static_cast<double>(in), std::ceil(centre + support)));
    std::vector<float> w;
    double sum = 0;
    for (std::ptrdiff_t i = lo; i < hi; ++i) {
      const double x = (static_cast<double>(i) + 0.5 - centre) / support;
      const double v = std::max(0.0, 1.0 - std::abs(x));
      w.push_back(static_cast<float>(v));
      sum += v;
    }
    for (auto& v : w) v = static_cast<float>(v / sum);
    t.first.push_back(static_cast<std::size_t>(lo));
    t.w.push_back(std::move(w));
  }
  return t;
}

}  // namespace detail

inline image2d<float> resize_bilinear(const image2d<float>& in, std::size_t out_h, std::size_t out_w) {
  const std::size_t h = in.shape()[0], w = in.shape()[1];
  MVG_CHECK(h > 0 && w > 0 && out_h > 0 && out_w > 0, "resize_bilinear: empty image or target");
  const auto ty = detail::bilinear_taps(h, out_h), tx = detail::bilinear_taps(w, out_w);
  image2d<float> mid = image2d<float>::from_shape({h, out_w});  // horizontal pass first
  for (std::size_t r = 0; r < h; ++r)
    for (std::size_t c = 0; c < out_w; ++c) {
      float acc = 0;
      for (std::size_t k = 0; k < tx.w[c].size(); ++k) acc += tx.w[c][k] * in(r, tx.first[c] + k);
      mid(r, c) = acc;
    }
  image2d<float> out = image2d<float>::from_shape({out_h, out_w});
  for (std::size_t r = 0; r < out_h; ++r)
    for (std::size_t c = 0; c < out_w; ++c) {
      float acc = 0;
      for (std::size_t k = 0; k < ty.w[r].size(); ++k) acc += ty.w[r][k] * mid(ty.first[r] + k, c);
      out(r, c) = acc;
    }
  return out;
}

template <class T>
image2d<T> resize_nearest(const image2d<T>& in, std::size_t out_h, std::size_t out_w) {
  const std::size_t h = in.shape()[0], w = in.shape()[1];
  MVG_CHECK(h > 0 && w > 0 && out_h > 0 && out_w > 0, "resize_nearest: empty image or target");
  image2d<T> out = image2d<T>::from_shape({out_h, out_w});
  for (std::size_t r = 0; r < out_h; ++r) {
    const std::size_t sr = std::min(h - 1, static_cast<std::size_t>((static_cast<double>(r) + 0.5) * h / out_h));
    for (std::size_t c = 0; c < out_w; ++c) {
      const std::size_t sc = std::min(w - 1, static_cast<std::size_t>((static_cast<double>(c) + 0.5) * w / out_w));
      out(r, c) = in(sr, sc);
    }
  }
  return out;
}

struct crop_box {
  std::size_t row = 0, col = 0, height = 0, width = 0;
};

template <class T>
image2d<T> crop(const image2d<T>& in, const crop_box& b) {
  MVG_CHECK(b.row + b.height <= in.shape()[0] && b.col + b.width <= in.shape()[1] && b.height > 0 && b.width > 0,
            "crop: box ", b.row, "+", b.height, " × ", b.col, "+", b.width, " does not fit a ", in.shape()[0], "×",
            in.shape()[1], " image");
  image2d<T> out = image2d<T>::from_shape({b.height, b.width});
  for (std::size_t r = 0; r < b.height; ++r)
    for (std::size_t c = 0; c < b.width; ++c) out(r, c) = in(b.row + r, b.col + c);
  return out;
}

// A uniformly placed size×size box inside an h×w image.
inline crop_box random_crop_box(std::size_t h, std::size_t w, std::size_t size, rng& g) {
  MVG_CHECK(size >= 1 && size <= h && size <= w, "random_crop_box: crop ", size, " does not fit ", h, "×", w);
  return {static_cast<std::size_t>(g.below(h - size + 1)), static_cast<std::size_t>(g.below(w - size + 1)), size, size};
}

// The paper's scheme scaled to any canvas: upsample to round(size·512/448), then crop a random
// size×size window (paper: 512 → 448). Image and label share the box.
inline void random_resized_crop(image2d<float>& image, image2d<std::uint8_t>& label, std::size_t size, rng& g,
                                double enlarge = 512.0 / 448.0) {
  MVG_CHECK(image.shape() == label.shape(), "random_resized_crop: image and label shapes differ");
  const auto big = static_cast<std::size_t>(std::lround(static_cast<double>(size) * enlarge));
  const auto box = random_crop_box(big, big, size, g);
  image = crop(resize_bilinear(image, big, big), box);
  label = crop(resize_nearest(label, big, big), box);
}

}  // namespace mvg::data
