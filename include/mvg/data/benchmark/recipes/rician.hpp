// mvg/data/benchmark/recipes/rician.hpp: the "rician" recipe (D2): ch2 slices with Rician noise at a
// fraction of the in-brain 99th percentile, added at the working size.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/benchmark/scans.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/simulate/noise.hpp"

namespace mvg::data::detail {

inline void build_rician(pair_builder& b) {
  const double pct = std::stod(b.spec.get("sigma_pct", b.mf));
  b.task.kind = task_kind::denoising;
  const auto& img = normalised_image(b.store, b.spec);
  const mask3d& brain = ch2_brain(b.store, b.spec, b.mf);
  b.task.slice_mm = slice_spacing(b.store, b.spec.get("image", b.mf), b.task.axis);
  std::vector<float> in_brain;
  for (std::size_t i = 0; i < img.size(); ++i)
    if (brain.data()[i]) in_brain.push_back(img.data()[i]);
  const double p99 = percentile_range(in_brain, 0.5, 99.0).hi;
  const double sigma = pct / 100.0 * p99;
  b.task.measured["sigma"] = sigma;
  b.task.measured["brain_p99"] = p99;
  b.task.description = "Rician MRI noise m = sqrt((x+n1)^2 + n2^2), sigma = " + b.spec.get("sigma_pct", b.mf) +
                       "% of the in-brain 99th percentile, added at the working size, clipped to [0, 1]";
  const bool rot = b.rot();
  for (const auto& [z, role] : pair_roles(b.spec, img.shape()[b.task.axis], b.task.slice_mm, b.mf)) {
    const auto reg = mask_slice(brain, b.task.axis, z);
    if (mask_count(reg) < b.min_fg()) continue;
    image_pair pr;
    pr.slice = z;
    pr.seed = slice_seed(b.task.seed, z);
    pr.target = b.fit(extract_slice<float>(img, b.task.axis, z), rot, false);
    rng g(pr.seed);
    pr.input = add_rician(pr.target, sigma, g);
    for (auto& x : pr.input) x = std::min(x, 1.0f);
    pr.region = b.fit(reg, rot, true);
    b.list(role).push_back(std::move(pr));
  }
}

}  // namespace mvg::data::detail
