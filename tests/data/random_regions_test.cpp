// Random regions (data/simulate/random_regions.hpp) on the real ch2 slices: a region is a structure of
// the scan — present on its query slice, within the intensity band and the chosen cell, changing
// gradually from slice to slice — and a new one every draw.
#include <catch2/catch.hpp>
#include <cmath>

#include "data/support.hpp"
#include "mvg/data/simulate/random_regions.hpp"

using namespace mvg;

namespace {
double iou(const data::image2d<std::uint8_t>& a, const data::image2d<std::uint8_t>& b) {
  double inter = 0, uni = 0;
  for (std::size_t i = 0; i < a.size(); ++i) inter += a.flat(i) && b.flat(i), uni += a.flat(i) || b.flat(i);
  return uni > 0 ? inter / uni : 1.0;
}
std::size_t pixels(const data::image2d<std::uint8_t>& l) { return std::size_t(std::count(l.begin(), l.end(), 1)); }
}  // namespace

TEST_CASE("random regions: a band of one Voronoi cell, present on the query, gradual across slices, new each draw",
          "[data][simulate]") {
  const auto& s1 = mvg_test::bench().set("S1");
  const auto& pool = s1.tasks.at(0).train;
  rng g(5);
  int nonempty = 0, draws = 0;
  double near_iou = 0, far_iou = 0, other_iou = 0;
  int pairs = 0;
  for (std::size_t i = 0; i + 12 < pool.size() && draws < 60; i += 3, ++draws) {
    const auto& q = pool[i];
    const auto& img = s1.image(q);
    const auto r = data::draw_random_region(img, double(q.slice), g);
    const auto l = r.label(img, double(q.slice));
    // Every labelled pixel lies in the band and is tissue, and in the region's cell.
    for (std::size_t k = 0; k < l.size(); ++k)
      if (l.flat(k)) {
        REQUIRE(std::abs(double(img.flat(k)) - r.centre) <= r.half_width);
        REQUIRE(img.flat(k) >= r.min_intensity);
      }
    if (pixels(l) < 24) continue;
    ++nonempty;
    // Same volume, slices 1 and 12 away (when the pool holds them): the region changes gradually.
    const auto* near = &pool[i + 1];
    const auto* far = &pool[i + 12];
    if (near->slice != q.slice + 1 || far->slice != q.slice + 12) continue;
    near_iou += iou(l, r.label(s1.image(*near), double(near->slice)));
    far_iou += iou(l, r.label(s1.image(*far), double(far->slice)));
    // Another draw on the same slice is another region.
    other_iou += iou(l, data::draw_random_region(img, double(q.slice), g).label(img, double(q.slice)));
    ++pairs;
  }
  INFO("non-empty " << nonempty << " of " << draws << ", pairs " << pairs);
  REQUIRE(nonempty > draws / 2);
  REQUIRE(pairs >= 5);
  near_iou /= pairs, far_iou /= pairs, other_iou /= pairs;
  INFO("IoU with the next slice " << near_iou << ", 12 slices away " << far_iou << ", another draw " << other_iou);
  CHECK(near_iou > 0.6);
  CHECK(far_iou < near_iou - 0.1);
  CHECK(other_iou < 0.3);
  // Deterministic for a seed.
  rng a(9), b(9);
  const auto& img = s1.image(pool[0]);
  REQUIRE(mvg_test::same(data::draw_random_region(img, 20, a).label(img, 20),
                         data::draw_random_region(img, 20, b).label(img, 20)));
  data::random_region_options bad;
  bad.min_seeds = 1;
  REQUIRE_THROWS_WITH(data::draw_random_region(img, 20, a, bad), Catch::Contains("not ranges"));
}
