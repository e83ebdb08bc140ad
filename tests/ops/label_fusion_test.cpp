// Patch-based label fusion (mvg/ops/label_fusion.hpp): against a plain double-precision form of its
// formula, and the behaviour the decoder relies on — it follows a shifted image to the label's pixels,
// a flat bandwidth gives the window's mean, and a far-off guide still gives finite values.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "mvg/core/random.hpp"
#include "mvg/ops/label_fusion.hpp"
#include "support/backend_under_test.hpp"

using namespace mvg;

namespace {
using ftensor = tensor<float, test_backend>;

std::vector<float> noise(int64_t n, uint64_t seed) {
  rng g(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = float(g.uniform());
  return v;
}

// The formula, two passes (largest score first), clamped coordinates, in double.
std::vector<double> fused_by_formula(const std::vector<float>& q, const std::vector<float>& g,
                                     const std::vector<float>& v, int64_t n, int64_t h, int64_t w,
                                     const ops::fusion_options& o) {
  auto at = [&](const std::vector<float>& im, int64_t b, int64_t y, int64_t x) {
    y = std::clamp<int64_t>(y, 0, h - 1), x = std::clamp<int64_t>(x, 0, w - 1);
    return double(im[std::size_t((b * h + y) * w + x)]);
  };
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        std::vector<double> score, value;
        for (int dy = -o.radius; dy <= o.radius; ++dy)
          for (int dx = -o.radius; dx <= o.radius; ++dx) {
            double d = 0, counted = 0;
            for (int py = -o.patch; py <= o.patch; ++py)
              for (int px = -o.patch; px <= o.patch; ++px) {
                if (o.zero_is_missing && at(q, b, y + py, x + px) == 0.0) continue;
                const double a = at(q, b, y + py, x + px) - at(g, b, y + dy + py, x + dx + px);
                d += a * a, counted += 1;
              }
            score.push_back(counted > 0 ? -d / counted / (double(o.h) * double(o.h)) : 0.0);
            value.push_back(at(v, b, y + dy, x + dx));
          }
        const double top = *std::max_element(score.begin(), score.end());
        double sw = 0, sv = 0;
        for (std::size_t k = 0; k < score.size(); ++k)
          sw += std::exp(score[k] - top), sv += std::exp(score[k] - top) * value[k];
        out.push_back(sv / sw);
      }
  return out;
}

double worst_gap(const std::vector<float>& got, const std::vector<double>& want) {
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
  return worst;
}
}  // namespace

TEST_CASE("label fusion: every pixel is the formula's weighted mean of the window's labels", "[ops][label-fusion]") {
  const int64_t n = 2, h = 9, w = 11;  // small and not square, so edges and both axes count
  auto q = noise(n * h * w, 1);
  const auto g = noise(n * h * w, 2), v = noise(n * h * w, 3);
  for (std::size_t i = 0; i < q.size(); i += 3) q[i] = 0.f;  // missing pixels, for zero_is_missing
  for (int64_t y = 2; y < 7; ++y)  // and a hole wider than a 3×3 patch, where no pixel of a patch counts
    for (int64_t x = 3; x < 9; ++x) q[std::size_t(y * w + x)] = 0.f;
  using fo = ops::fusion_options;
  for (const fo o : {fo{}, fo{1, 1, 0.3f}, fo{2, 0, 0.1f}, fo{3, 2, 0.05f, true}, fo{1, 1, 0.3f, true}}) {
    INFO("radius " << o.radius << ", patch " << o.patch << ", h " << o.h << ", zero is missing " << o.zero_is_missing);
    const auto got = ops::label_fusion(ftensor::from_host({n, h, w}, q), ftensor::from_host({n, h, w}, g),
                                       ftensor::from_host({n, h, w}, v), o)
                         .to_host();
    const auto want = fused_by_formula(q, g, v, n, h, w, o);
    CHECK(worst_gap(got, want) < 1e-5);
    // The GPU's one-thread-per-pixel form (the CPU's takes whole planes): the same formula.
    const auto m = ops::detail::fusion_map::of(h, w, o);
    std::vector<float> per_pixel;
    for (int64_t i = 0; i < n * h * w; ++i) per_pixel.push_back(m.value(i, q.data(), g.data(), v.data()));
    CHECK(worst_gap(per_pixel, want) < 1e-5);
  }
}

TEST_CASE("label fusion: a prompt shifted within the search window gives its label back where the query's "
          "pixels are, a flat bandwidth the window's mean",
          "[ops][label-fusion]") {
  const int64_t h = 24, w = 24, sy = 2, sx = -1;  // the prompt is the query moved by (2, -1)
  const auto q = noise(h * w, 5), label = noise(h * w, 6);
  std::vector<float> g(q.size()), v(q.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const int64_t from_y = std::clamp<int64_t>(y - sy, 0, h - 1), from_x = std::clamp<int64_t>(x - sx, 0, w - 1);
      g[std::size_t(y * w + x)] = q[std::size_t(from_y * w + from_x)];
      v[std::size_t(y * w + x)] = label[std::size_t(from_y * w + from_x)];
    }
  const ftensor tq = ftensor::from_host({1, h, w}, q), tg = ftensor::from_host({1, h, w}, g),
                tv = ftensor::from_host({1, h, w}, v);
  const auto moved = ops::label_fusion(tq, tg, tv, {3, 2, 0.05f}).to_host();
  double worst = 0;  // away from the edges, where the shifted prompt repeats its border
  for (int64_t y = 6; y < h - 6; ++y)
    for (int64_t x = 6; x < w - 6; ++x)
      worst = std::max(worst, double(std::abs(moved[std::size_t(y * w + x)] - label[std::size_t(y * w + x)])));
  CHECK(worst < 1e-4);

  const auto flat = ops::label_fusion(tq, tg, tv, {1, 1, 1e4f}).to_host();
  for (int64_t y : {int64_t(0), int64_t(7), h - 1})
    for (int64_t x : {int64_t(0), int64_t(12), w - 1}) {
      double mean = 0;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx)
          mean += v[std::size_t(std::clamp<int64_t>(y + dy, 0, h - 1) * w + std::clamp<int64_t>(x + dx, 0, w - 1))];
      CHECK(flat[std::size_t(y * w + x)] == Approx(mean / 9).margin(1e-5));
    }
}

TEST_CASE("label fusion: a guide far from the query still gives finite labels within the window's range, and "
          "shapes must agree",
          "[ops][label-fusion]") {
  const int64_t h = 8, w = 8;
  auto q = noise(h * w, 7), g = noise(h * w, 8), v = noise(h * w, 9);
  for (auto& x : g) x += 40.f;  // every score near -40² / 0.05² / 25: exp underflows without the running maximum
  const auto out = ops::label_fusion(ftensor::from_host({h, w}, q), ftensor::from_host({h, w}, g),
                                     ftensor::from_host({h, w}, v))
                       .to_host();
  for (float x : out) {
    CHECK(std::isfinite(x));
    CHECK(x >= 0.f);
    CHECK(x <= 1.f);
  }
  REQUIRE_THROWS_WITH(ops::label_fusion(ftensor::from_host({h, w}, q), ftensor::from_host({1, h, w}, g),
                                        ftensor::from_host({h, w}, v)),
                      Catch::Contains("label_fusion") && Catch::Contains("[8, 8]") && Catch::Contains("[1, 8, 8]"));
  REQUIRE_THROWS_WITH(ops::label_fusion(ftensor::from_host({h, w}, q), ftensor::from_host({h, w}, g),
                                        ftensor::from_host({h, w}, v), {3, 2, 0.f}),
                      Catch::Contains("h 0"));
  REQUIRE_THROWS_WITH(ops::label_fusion(ftensor::from_host({2, 0}, {}), ftensor::from_host({2, 0}, {}),
                                        ftensor::from_host({2, 0}, {})),
                      Catch::Contains("no pixels"));
}

TEST_CASE("label fusion: with zero_is_missing a hole in the query takes the window's mean of the prompt's values "
          "where no pixel of its patch counts, and a query without zeros fuses as without it",
          "[ops][label-fusion]") {
  const int64_t h = 20, w = 20;
  auto q = noise(h * w, 11);
  const auto g = noise(h * w, 12), v = noise(h * w, 13);
  const auto fuse = [&](const std::vector<float>& query, bool missing) {
    ops::fusion_options o;
    o.zero_is_missing = missing;
    return ops::label_fusion(ftensor::from_host({h, w}, query), ftensor::from_host({h, w}, g),
                             ftensor::from_host({h, w}, v), o)
        .to_host();
  };
  const auto none_missing = fuse(q, false);  // noise() draws no exact zeros: the same up to float rounding
  CHECK(worst_gap(fuse(q, true), std::vector<double>(none_missing.begin(), none_missing.end())) < 1e-6);
  for (int64_t y = 4; y < 16; ++y)
    for (int64_t x = 4; x < 16; ++x) q[std::size_t(y * w + x)] = 0.f;  // a 12×12 hole
  const auto holes = fuse(q, true), plain = fuse(q, false);
  const ops::fusion_options o;
  double worst = 0, moved = 0;
  for (int64_t y = 4 + o.patch; y < 16 - o.patch; ++y)  // patches wholly inside the hole
    for (int64_t x = 4 + o.patch; x < 16 - o.patch; ++x) {
      double mean = 0;
      for (int64_t dy = -o.radius; dy <= o.radius; ++dy)
        for (int64_t dx = -o.radius; dx <= o.radius; ++dx) mean += v[std::size_t((y + dy) * w + x + dx)];
      mean /= double((2 * o.radius + 1) * (2 * o.radius + 1));
      worst = std::max(worst, std::abs(holes[std::size_t(y * w + x)] - mean));
      moved = std::max(moved, std::abs(plain[std::size_t(y * w + x)] - mean));
    }
  CHECK(worst < 1e-5);
  CHECK(moved > 0.05);  // counted as pixels of value 0, the hole's patches pick the prompt's darkest matches
}
