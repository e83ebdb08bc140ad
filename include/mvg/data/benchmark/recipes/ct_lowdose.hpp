// mvg/data/benchmark/recipes/ct_lowdose.hpp: the "ct-lowdose" recipe (D1): Cranium slices through the low-dose
// CT simulation, windowed and resized; the noise it leaves in HU is measured on the test slabs.
#pragma once
#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/benchmark/scans.hpp"
#include "mvg/data/prep/intensity.hpp"
#include "mvg/data/simulate/ct_lowdose.hpp"

namespace mvg::data::detail {

inline void build_ct_lowdose(pair_builder& b) {
  const std::string id = b.spec.get("image", b.mf);
  const auto& p = b.store.inv3(id);
  const double dose_i0 = std::stod(b.spec.get("dose", b.mf));
  const ct_dose dose{dose_i0, 5.0};
  const ct_window w{-1000.0f, 2000.0f};
  b.task.kind = task_kind::denoising;
  b.task.slice_mm = p.spacing[2];
  const double pixel_mm = p.spacing[0];
  MVG_CHECK(std::abs(p.spacing[0] - p.spacing[1]) < 1e-6 && b.task.axis == 0, b.mf, ": pairs ", b.spec.name,
            ": ct-lowdose needs axial slices (axis=0) with square pixels");
  b.task.description = "low-dose CT: Poisson(I0·e^-p) + N(0,5²) counts, I0 = " + b.spec.get("dose", b.mf) +
                       ", 360 views/180°, ramp FBP at the native 256² grid; target = FBP of the noiseless sinogram; "
                       "window [-1000, 2000] HU";
  const mask3d& head = cranium_head(b.store, id);
  const mask3d& brain = cranium_brain(b.store, id);
  const auto roles = pair_roles(b.spec, p.matrix.shape()[0], b.task.slice_mm, b.mf);
  std::vector<std::pair<std::size_t, split>> todo;
  for (const auto& [z, role] : roles)
    if (mask_count(mask_slice(head, 0, z)) >= b.min_fg()) todo.emplace_back(z, role);
  std::vector<std::shared_ptr<const ct_native_pair>> sims(todo.size());
  std::exception_ptr err;
  const std::string path = b.store.path(id).string();
#pragma omp parallel for schedule(dynamic)
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(todo.size()); ++i) {
    try {
      const std::size_t z = todo[static_cast<std::size_t>(i)].first;
      const std::uint64_t seed = slice_seed(b.task.seed, z);
      const std::string key = path + "|" + std::to_string(z);
      sims[static_cast<std::size_t>(i)] =
          simulate_ct_slice(key, pad_to_square(extract_slice<float>(p.matrix, 0, z), -1000.0f), pixel_mm, dose, seed);
    } catch (...) {
#pragma omp critical
      err = std::current_exception();
    }
  }
  if (err) std::rethrow_exception(err);
  double nat2 = 0, fit2 = 0;
  std::size_t nat_n = 0, fit_n = 0;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const auto [z, role] = todo[i];
    const auto& sim = *sims[i];
    const image2d<std::uint8_t> reg_native = pad_to_square(mask_slice(brain, 0, z));
    image_pair pr;
    pr.slice = z;
    pr.seed = slice_seed(b.task.seed, z);
    pr.input = resize_bilinear(apply_window(sim.noisy_hu, w), b.size, b.size);
    pr.target = resize_bilinear(apply_window(sim.clean_hu, w), b.size, b.size);
    pr.region = resize_nearest(reg_native, b.size, b.size);
    if (role == split::test) {
      for (std::size_t k = 0; k < reg_native.size(); ++k)
        if (reg_native.data()[k]) {
          const double d = sim.noisy_hu.data()[k] - sim.clean_hu.data()[k];
          nat2 += d * d, ++nat_n;
        }
      for (std::size_t k = 0; k < pr.region.size(); ++k)
        if (pr.region.data()[k]) {
          const double d = (pr.input.data()[k] - pr.target.data()[k]) * (w.hi - w.lo);
          fit2 += d * d, ++fit_n;
        }
    }
    b.list(role).push_back(std::move(pr));
  }
  // RMS of (noisy − clean) in the intracranial soft tissue of the test slabs (the noise has ~zero mean).
  b.task.measured["noise_hu_native"] = nat_n ? std::sqrt(nat2 / static_cast<double>(nat_n)) : NAN;
  b.task.measured["noise_hu"] = fit_n ? std::sqrt(fit2 / static_cast<double>(fit_n)) : NAN;
}

}  // namespace mvg::data::detail
