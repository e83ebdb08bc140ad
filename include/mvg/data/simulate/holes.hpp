// mvg/data/simulate/holes.hpp: inpainting hole masks (shared/DATA.md, "Inpainting").
// Contract: a hole mask is uint8 0/1 at the image's size (1 = hole). Two kinds, chosen by the seed:
//  - boxes: 1–3 axis-aligned boxes, sides uniform in 12–40 px at 128² (scaled by size/128), each centred
//    on a body pixel and accepted when ≥ 75% of it lies inside the body (50 tries, then the last try);
//  - blobs: "lesion-like": white noise on a coarse 5–9² grid, smoothed by bilinear upsampling, thresholded
//    at the quantile that leaves 3–12% of the region (brain), intersected with the region.
// Seeds: training masks use seeds in [0, 2³²), test masks seeds in [2³², 2³³) (hole_seed), so no test
// mask is ever drawn in training. A mask is a pure function of (body, region, seed).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::data {

inline constexpr std::uint64_t test_hole_seed_begin = std::uint64_t{1} << 32;  // train: [0, 2³²), test: [2³², 2³³)

// The seed of mask `index` of a task with seed `task_seed`, in the train or the test range.
inline std::uint64_t hole_seed(bool test, std::uint64_t task_seed, std::uint64_t index) {
  std::uint64_t z = task_seed * 0x9E3779B97F4A7C15ull + index * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
  z ^= z >> 31;
  z *= 0xD6E8FEB86659FD93ull;
  z ^= z >> 32;
  const std::uint64_t low = z & (test_hole_seed_begin - 1);
  return test ? test_hole_seed_begin + low : low;
}
inline bool is_test_hole_seed(std::uint64_t seed) { return seed >= test_hole_seed_begin; }

enum class hole_kind { boxes, blobs };

inline image2d<std::uint8_t> box_holes(const image2d<std::uint8_t>& body, rng& g) {
  const std::size_t h = body.shape()[0], w = body.shape()[1];
  std::vector<std::size_t> inside;
  for (std::size_t i = 0; i < body.size(); ++i)
    if (body.data()[i]) inside.push_back(i);
  MVG_CHECK(!inside.empty(), "box_holes: the body mask is empty");
  const double scale = static_cast<double>(std::max(h, w)) / 128.0;
  const auto lo = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(12 * scale)));
  const auto hi = std::max<std::size_t>(lo, static_cast<std::size_t>(std::lround(40 * scale)));
  image2d<std::uint8_t> hole = image2d<std::uint8_t>::from_shape({h, w});
  std::fill(hole.begin(), hole.end(), std::uint8_t{0});
  const std::uint64_t boxes = 1 + g.below(3);
  for (std::uint64_t b = 0; b < boxes; ++b) {
    std::size_t r0 = 0, c0 = 0, bh = 0, bw = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
      bh = std::min(h, lo + g.below(hi - lo + 1)), bw = std::min(w, lo + g.below(hi - lo + 1));
      const std::size_t centre = inside[g.below(inside.size())], cr = centre / w, cc = centre % w;
      r0 = std::min(h - bh, cr > bh / 2 ? cr - bh / 2 : 0), c0 = std::min(w - bw, cc > bw / 2 ? cc - bw / 2 : 0);
      std::size_t in = 0;
      for (std::size_t r = r0; r < r0 + bh; ++r)
        for (std::size_t c = c0; c < c0 + bw; ++c) in += body(r, c) != 0;
      if (4 * in >= 3 * bh * bw) break;
    }
    for (std::size_t r = r0; r < r0 + bh; ++r)
      for (std::size_t c = c0; c < c0 + bw; ++c) hole(r, c) = 1;
  }
  return hole;
}

inline image2d<std::uint8_t> blob_holes(const image2d<std::uint8_t>& region, rng& g) {
  const std::size_t h = region.shape()[0], w = region.shape()[1];
  const std::size_t grid = 5 + g.below(5);
  image2d<float> coarse = image2d<float>::from_shape({grid, grid});
  for (auto& x : coarse) x = static_cast<float>(g.normal());
  const image2d<float> field = resize_bilinear(coarse, h, w);
  std::vector<float> vals;
  for (std::size_t i = 0; i < region.size(); ++i)
    if (region.data()[i]) vals.push_back(field.data()[i]);
  MVG_CHECK(!vals.empty(), "blob_holes: the region mask is empty");
  const double frac = g.uniform(0.03, 0.12);
  const auto k = std::min(vals.size() - 1, static_cast<std::size_t>((1.0 - frac) * static_cast<double>(vals.size())));
  std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(k), vals.end());
  const float thr = vals[k];
  image2d<std::uint8_t> hole = image2d<std::uint8_t>::from_shape({h, w});
  for (std::size_t i = 0; i < hole.size(); ++i)
    hole.data()[i] = static_cast<std::uint8_t>(region.data()[i] && field.data()[i] > thr);
  return hole;
}

// The mask of `seed`: boxes or blobs (even odds), drawn from one stream.
inline image2d<std::uint8_t> make_hole_mask(const image2d<std::uint8_t>& body, const image2d<std::uint8_t>& region,
                                            std::uint64_t seed, hole_kind* kind = nullptr) {
  MVG_CHECK(body.shape() == region.shape(), "make_hole_mask: body and region masks differ in shape");
  rng g(seed);
  const bool boxes = g.below(2) == 0;
  if (kind) *kind = boxes ? hole_kind::boxes : hole_kind::blobs;
  return boxes ? box_holes(body, g) : blob_holes(region, g);
}

// The input of an inpainting pair: the image with the hole set to 0.
inline image2d<float> punch_holes(const image2d<float>& image, const image2d<std::uint8_t>& hole) {
  MVG_CHECK(image.shape() == hole.shape(), "punch_holes: image and hole differ in shape");
  image2d<float> out = image;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (hole.data()[i]) out.data()[i] = 0;
  return out;
}

}  // namespace mvg::data
