// tests/support/reference.hpp: access to the committed PyTorch reference values (tests/reference/).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "mvg/io/safetensors.hpp"
#include "mvg/nn/config.hpp"

namespace mvg::test {

// The model size of model_small.safetensors and model_pixel_skip.safetensors (make_model_reference.py's CONFIG).
inline constexpr config reference_model_cfg{.image_size = 16, .patch = 4, .embed_dim = 32, .depth = 4, .heads = 2,
                                            .mlp_ratio = 4, .decoder_channels = 8};

inline std::string reference_path(const std::string& file) { return std::string(MVG_SOURCE_DIR) + "/tests/reference/" + file; }

// max |a − b| / max(floor, max |b|): relative to the reference's scale. The default floor of 1 makes it
// robust to entries near zero; floor 0 gives plain max |a − b| when b is all zeros. Sizes that differ
// give 1e300, which fails every tolerance.
template <class A, class B>
double scaled_max_error(const std::vector<A>& a, const std::vector<B>& b, double floor = 1) {
  if (a.size() != b.size()) return 1e300;
  double worst = 0, scale = floor;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return scale > 0 ? worst / scale : worst;
}

inline double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace mvg::test
