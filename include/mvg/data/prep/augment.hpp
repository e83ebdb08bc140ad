// mvg/data/prep/augment.hpp: seeded augmentation of (image, label) training pairs.
// Contract: the same rng state gives the same result on every platform (mvg::rng); geometry (resized
// crop, flip) is applied identically to image and label, intensity changes (gamma, contrast,
// brightness) to the image only, and the image stays in [0, 1]. An in-context pair (prompt and query)
// that must share one transform takes the same options and a copy of the same rng.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::data {

struct augment_options {
  bool resized_crop = true;           // upsample by 512/448 and crop back (the paper's random crop)
  double crop_enlarge = 512.0 / 448.0;
  double flip_probability = 0.0;      // left-right flips break laterality labels: off by default
  double gamma_range = 0.2;           // gamma drawn from [1/(1+g), 1+g]
  double contrast_range = 0.1;        // multiply by 1 ± c around 0.5
  double brightness_range = 0.05;     // add ± b
};

inline void augment_pair(image2d<float>& image, image2d<std::uint8_t>& label, const augment_options& o, rng& g) {
  MVG_CHECK(image.shape() == label.shape(), "augment_pair: image ", image.shape()[0], "×", image.shape()[1],
            " and label ", label.shape()[0], "×", label.shape()[1], " differ");
  if (o.resized_crop) {
    MVG_CHECK(image.shape()[0] == image.shape()[1], "augment_pair: resized crop expects a square image");
    random_resized_crop(image, label, image.shape()[0], g, o.crop_enlarge);
  }
  if (o.flip_probability > 0 && g.uniform() < o.flip_probability) {
    image = flip_horizontal(image);
    label = flip_horizontal(label);
  }
  const double gamma = std::exp(g.uniform(-1.0, 1.0) * std::log1p(o.gamma_range));
  const double contrast = 1.0 + g.uniform(-o.contrast_range, o.contrast_range);
  const double brightness = g.uniform(-o.brightness_range, o.brightness_range);
  for (auto& v : image) {
    double x = std::pow(std::clamp(static_cast<double>(v), 0.0, 1.0), gamma);
    x = (x - 0.5) * contrast + 0.5 + brightness;
    v = static_cast<float>(std::clamp(x, 0.0, 1.0));
  }
}

}  // namespace mvg::data
