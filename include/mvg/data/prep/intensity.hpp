// mvg/data/prep/intensity.hpp: intensity normalisation to [0, 1]: CT windows and MRI percentile scaling.
// Contract: apply_window maps HU linearly so that lo → 0 and hi → 1, clamping outside; window_to_hu
// is its exact inverse on [0, 1] (HU inside the window round-trip). MRI scaling clips a volume to its
// own p_lo/p_hi percentiles (numpy's default linear interpolation) and maps that range to [0, 1];
// values ≥ `saturated` (e.g. 65535 in a uint16 scan) are excluded from the statistic and clipped.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"

namespace mvg::data {

struct ct_window {
  float lo = -100.0f, hi = 200.0f;  // HU
};
inline constexpr ct_window soft_tissue_window{-100.0f, 200.0f};  // the paper's CT window
inline constexpr ct_window wide_window{-1000.0f, 2000.0f};       // bone and denoising tasks

inline float apply_window(float hu, ct_window w) {
  return std::clamp((hu - w.lo) / (w.hi - w.lo), 0.0f, 1.0f);
}
inline float window_to_hu(float v, ct_window w) { return w.lo + v * (w.hi - w.lo); }

template <class E>
auto apply_window(const E& hu, ct_window w) {
  MVG_CHECK(w.hi > w.lo, "apply_window: window hi ", w.hi, " must exceed lo ", w.lo);
  using value_t = typename E::value_type;
  auto out = hu;
  for (auto& v : out) v = static_cast<value_t>(apply_window(static_cast<float>(v), w));
  return out;
}
template <class E>
auto window_to_hu(const E& v, ct_window w) {
  auto out = v;
  for (auto& x : out) x = window_to_hu(x, w);
  return out;
}

struct intensity_range {
  float lo = 0, hi = 1;
};

// Percentiles p_lo and p_hi (0..100) of the values, linear interpolation between order statistics.
template <class E>
intensity_range percentile_range(const E& values, double p_lo = 0.5, double p_hi = 99.5,
                                 float saturated = std::numeric_limits<float>::infinity()) {
  MVG_CHECK(0 <= p_lo && p_lo < p_hi && p_hi <= 100, "percentile_range: need 0 ≤ p_lo < p_hi ≤ 100, got ", p_lo,
            ", ", p_hi);
  std::vector<float> v;
  v.reserve(values.size());
  for (auto x : values)
    if (std::isfinite(static_cast<float>(x)) && static_cast<float>(x) < saturated) v.push_back(static_cast<float>(x));
  MVG_CHECK(!v.empty(), "percentile_range: no finite, unsaturated values");
  auto at = [&](double p) {
    const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
    const std::size_t i = static_cast<std::size_t>(std::floor(pos));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    const double a = v[i];
    if (i + 1 >= v.size()) return a;
    const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(i) + 1, v.end());
    return a + (pos - static_cast<double>(i)) * (b - a);
  };
  return {static_cast<float>(at(p_lo)), static_cast<float>(at(p_hi))};
}

// Maps [r.lo, r.hi] to [0, 1], clamping outside (a flat range maps everything to 0).
template <class E>
auto rescale_clip(const E& values, intensity_range r) {
  auto out = values;
  const float span = r.hi - r.lo;
  for (auto& x : out) {
    const float f = std::isfinite(static_cast<float>(x)) ? static_cast<float>(x) : r.lo;
    x = span > 0 ? std::clamp((f - r.lo) / span, 0.0f, 1.0f) : 0.0f;
  }
  return out;
}

// The paper's MRI normalisation: per-volume 0.5–99.5 percentile clip, then [0, 1].
template <class E>
auto scale_mri(const E& volume, double p_lo = 0.5, double p_hi = 99.5,
               float saturated = std::numeric_limits<float>::infinity()) {
  return rescale_clip(volume, percentile_range(volume, p_lo, p_hi, saturated));
}

}  // namespace mvg::data
