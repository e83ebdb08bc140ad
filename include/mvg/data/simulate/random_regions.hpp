// mvg/data/simulate/random_regions.hpp: synthetic segmentation classes that no training can memorise.
// A region is one cell of a random 3-D Voronoi partition of the volume (seeds drawn around the query
// slice), cut to an intensity band of the scan: { voxel v : nearest seed of v is c, |I(v) − centre| ≤
// half_width }. Evaluated on each slice of a prompt/query sample, it is one structure seen on
// neighbouring slices: it moves and changes shape with the anatomy, as a real region does, but its
// shape is new every draw, so the only way to find it in the query is to read where and what the
// prompt's region is (Neuralizer and UniverSeg train on synthetic tasks for the same reason). The
// held-out classes of issue 24 (S2-regions-held-out, S3-held-out) measure exactly that reading.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::data {

struct random_region_options {
  std::size_t min_seeds = 6, max_seeds = 24;    // Voronoi seeds (fewer: larger cells)
  double slab_slices = 24;                      // seeds lie within ± this many slices of the query
  double slice_pixels = 0.35;                   // one slice step in pixel units (1 mm slices, ~3 mm pixels)
  double min_half_width = 0.08, max_half_width = 0.3;  // of the intensity band, images in [0, 1]
  float min_intensity = 0.05f;                  // air and padding never belong to a region
};

// One drawn region; label(image, slice) evaluates it on any slice of the same volume.
struct random_region {
  struct seed {
    double x, y, z;
  };
  std::vector<seed> seeds;
  std::size_t cell = 0;
  double centre = 0.5, half_width = 0.2;
  float min_intensity = 0.05f;
  double slice_pixels = 0.35;

  // The cell of the point (x, y, z) in pixel units (z: slice × slice_pixels).
  std::size_t nearest_seed(double x, double y, double z) const {
    std::size_t best = 0;
    double best_d = INFINITY;
    for (std::size_t k = 0; k < seeds.size(); ++k) {
      const double dx = x - seeds[k].x, dy = y - seeds[k].y, dz = z - seeds[k].z;
      const double d = dx * dx + dy * dy + dz * dz;
      if (d < best_d) best_d = d, best = k;
    }
    return best;
  }

  image2d<std::uint8_t> label(const image2d<float>& image, double slice) const {
    MVG_CHECK(image.dimension() == 2 && !seeds.empty(), "random_region::label: an empty region or a non-2-D image");
    const std::size_t h = image.shape(0), w = image.shape(1);
    image2d<std::uint8_t> out = xt::zeros<std::uint8_t>({h, w});
    const double z = slice * slice_pixels;
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x) {
        const float v = image(y, x);
        if (v < min_intensity || std::abs(double(v) - centre) > half_width) continue;
        if (nearest_seed(double(x), double(y), z) == cell) out(y, x) = 1;
      }
    return out;
  }
};

// Seeds around `query_slice`, a cell and an intensity band centred on a pixel of the query image that
// lies in that cell (so the region is not empty on the query slice, unless the band drops it).
inline random_region draw_random_region(const image2d<float>& query, double query_slice, rng& g,
                                        const random_region_options& o = {}) {
  MVG_CHECK(o.min_seeds >= 2 && o.min_seeds <= o.max_seeds && o.min_half_width > 0 &&
                o.min_half_width <= o.max_half_width,
            "random_region_options: seeds ", o.min_seeds, "–", o.max_seeds, ", half widths ", o.min_half_width, "–",
            o.max_half_width, " are not ranges");
  const double h = double(query.shape(0)), w = double(query.shape(1));
  random_region r;
  r.slice_pixels = o.slice_pixels;
  r.min_intensity = o.min_intensity;
  const std::size_t n = o.min_seeds + std::size_t(g.below(o.max_seeds - o.min_seeds + 1));
  const double z0 = query_slice * o.slice_pixels, dz = o.slab_slices * o.slice_pixels;
  for (std::size_t k = 0; k < n; ++k)
    r.seeds.push_back({g.uniform(0, w), g.uniform(0, h), g.uniform(z0 - dz, z0 + dz)});
  // The band's centre: the intensity of a random tissue pixel of the query, and the cell it falls in.
  std::vector<std::size_t> tissue;
  for (std::size_t i = 0; i < query.size(); ++i)
    if (query.flat(i) >= o.min_intensity) tissue.push_back(i);
  const std::size_t at = tissue.empty() ? std::size_t(g.below(query.size())) : tissue[g.below(tissue.size())];
  const double px = double(at % query.shape(1)), py = double(at / query.shape(1));
  r.cell = r.nearest_seed(px, py, z0);
  r.centre = query.flat(at);
  r.half_width = g.uniform(o.min_half_width, o.max_half_width);
  return r;
}

}  // namespace mvg::data
