// mvg/data/benchmark/recipes/dwi.hpp: the "dwi-repeat" (D3, real noise) and "dwi-synthesis" (X1)
// recipes over the diffusion MRI mosaics.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/benchmark/scans.hpp"
#include "mvg/data/prep/intensity.hpp"

namespace mvg::data::detail {

// D3 (repeat 1 → repeat 2, scaled with repeat 1's range) and X1 (image → target, each scaled per volume).
inline void build_dwi(pair_builder& b, bool repeat) {
  const std::string in_ids = b.spec.get("image", b.mf), out_ids = b.spec.get("target", b.mf);
  b.task.kind = repeat ? task_kind::denoising : task_kind::synthesis;
  b.task.slice_mm = 1.5;  // DATA.md: 81 slices @1.5 mm
  std::string b0_ids;
  for (const auto& ids : {in_ids, out_ids})
    for (const auto& id : split_ids(ids))
      if (mosaic(b.store, id).b_value < 100) b0_ids += (b0_ids.empty() ? "" : ",") + id;
  MVG_CHECK(!b0_ids.empty(), b.mf, ": pairs ", b.spec.name, ": no b≈0 volume to derive the brain mask from");
  const mask3d& brain = dwi_brain(b.store, b0_ids);
  const xt::xarray<float>* x = nullptr;
  const xt::xarray<float>* y = nullptr;
  xt::xarray<float> r1, r2;
  if (repeat) {
    MVG_CHECK(split_ids(in_ids).size() == 1 && split_ids(out_ids).size() == 1, b.mf, ": pairs ", b.spec.name,
              ": dwi-repeat takes one image and one target");
    const auto a = dwi_clipped(mosaic(b.store, in_ids)), c = dwi_clipped(mosaic(b.store, out_ids));
    const intensity_range range = percentile_range(a, 0.5, 99.5);
    r1 = rescale_clip(a, range), r2 = rescale_clip(c, range);
    x = &r1, y = &r2;
    b.task.test_only = true;
    b.task.description = "real DWI noise: b~0 repeat 1 -> repeat 2, both scaled with repeat 1's 0.5-99.5 percentiles; "
                         "score MSE(f(x1), x2) - sigma2_hat, sigma2_hat = var(x1 - x2)/2 in the brain";
  } else {
    x = &dwi_image(b.store, in_ids), y = &dwi_image(b.store, out_ids);
    b.task.description = "DWI synthesis b=" + std::to_string(static_cast<int>(mosaic(b.store, split_ids(in_ids)[0]).b_value)) +
                         " -> b=" + std::to_string(static_cast<int>(mosaic(b.store, split_ids(out_ids)[0]).b_value)) +
                         " (b~0 = mean of the two repeats), each volume clipped to its 0.5-99.5 percentiles";
    b.task.caveat = "the b=1500 image is itself noisy (single acquisition, low SNR): scores against it include its noise";
  }
  MVG_CHECK(x->shape() == y->shape(), b.mf, ": pairs ", b.spec.name, ": input and target volumes differ in shape");
  const bool rot = b.rot();
  double diff2 = 0, diff_sum = 0;
  std::size_t diff_n = 0;
  for (const auto& [z, role] : pair_roles(b.spec, x->shape()[0], b.task.slice_mm, b.mf)) {
    const auto reg = mask_slice(brain, 0, z);
    if (mask_count(reg) < b.min_fg()) continue;
    image_pair pr;
    pr.slice = z;
    pr.input = b.fit(extract_slice<float>(*x, 0, z), rot, false);
    pr.target = b.fit(extract_slice<float>(*y, 0, z), rot, false);
    pr.region = b.fit(reg, rot, true);
    if (repeat && role == split::test)
      for (std::size_t k = 0; k < pr.region.size(); ++k)
        if (pr.region.data()[k]) {
          const double d = pr.input.data()[k] - pr.target.data()[k];
          diff_sum += d, diff2 += d * d, ++diff_n;
        }
    b.list(role).push_back(std::move(pr));
  }
  if (repeat && diff_n) {
    const double m = diff_sum / static_cast<double>(diff_n);
    b.task.measured["sigma2_hat"] = 0.5 * (diff2 / static_cast<double>(diff_n) - m * m);
  }
}

}  // namespace mvg::data::detail
