// mvg/data/image_tasks.hpp: the image-to-image tasks of shared/DATA.md as (input, target) pairs, built
// from the "pairs" lines of data/benchmark.manifest: D1 low-dose CT (two doses), D2 Rician MRI noise
// (three levels), D3 real-noise DWI repeats (test only), inpainting on ch2 and Cranium, and X1 DWI
// synthesis b≈0 ↔ b=1500.
// Contract: every image is a 2-D slice in [0, 1], zero-padded to a square and resized (bilinear) to
// image_size², the segmentation sets' preprocessing; masks (hole, region, body) go through the same
// geometry with nearest. Splits are contiguous slabs with guard gaps ≥ guard_mm (checked); the test-only
// D3 has a support list (prompt pairs, never training data) instead of a training list. Deterministic:
// noise and holes come from seeds derived from the task seed and the slice (holes: hole_seed, whose test
// range is never used for training). D1 is simulated at Cranium's native 256² grid (0.957 mm pixels,
// the grid DATA.md's ≈ 23 / 47 HU refer to) and memoised per process; the other recipes are cheap.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/benchmark.hpp"
#include "mvg/data/dicom.hpp"
#include "mvg/data/holes.hpp"
#include "mvg/data/intensity.hpp"
#include "mvg/data/labels.hpp"
#include "mvg/data/noise.hpp"
#include "mvg/data/sources.hpp"

namespace mvg::data {

enum class image_task_kind { denoising, inpainting, synthesis };

inline const char* kind_name(image_task_kind k) {
  return k == image_task_kind::denoising ? "denoising" : k == image_task_kind::inpainting ? "inpainting" : "synthesis";
}

struct image_pair {
  image2d<float> input, target;   // image_size², [0, 1]
  image2d<std::uint8_t> hole;     // inpainting: 1 = hole (input is 0 there); empty otherwise
  image2d<std::uint8_t> region;   // brain (ch2, DWI) / intracranial soft tissue (Cranium): noise is measured here
  image2d<std::uint8_t> body;     // inpainting: where boxes may lie; empty otherwise
  std::size_t volume = 0;         // index into image_task::volumes
  std::size_t slice = 0;          // source slice index along image_task::axis
  std::uint64_t seed = 0;         // the seed of this pair's noise or hole
};

struct image_task {
  std::string name, recipe, description;
  image_task_kind kind = image_task_kind::denoising;
  std::vector<std::string> volumes;  // manifest file ids the pairs come from
  std::size_t axis = 0;
  double slice_mm = 1.0;
  std::size_t image_size = 64;
  std::uint64_t seed = 0;
  bool test_only = false;            // D3: no training pairs; prompts come from `support`
  std::vector<slab> train_slabs, test_slabs, support_slabs;
  std::vector<image_pair> train, support, test;
  std::map<std::string, double> measured;  // e.g. D1 "noise_hu_native", "noise_hu"; D2 "sigma"; D3 "sigma2_hat"
  std::string caveat;                      // printed next to results (X1: the b=1500 target is noisy)

  const std::vector<image_pair>& samples(split s) const {
    return s == split::train ? train : s == split::support ? support : test;
  }
  const std::vector<image_pair>& prompt_pool() const { return train.empty() ? support : train; }
};

struct image_task_set {
  std::vector<image_task> tasks;
  double load_seconds = 0;
  const image_task& task(std::string_view name) const {
    for (const auto& t : tasks)
      if (t.name == name) return t;
    ::mvg::detail::fail("image tasks: no task named '", name, "'");
  }
};

struct image_task_options {
  std::size_t image_size = 64;
  std::filesystem::path manifest;  // empty: default_manifest_path()
  std::filesystem::path data_dir;  // empty: default_data_dir(manifest)
  std::vector<std::string> tasks;  // empty: all
};

namespace detail {

inline std::vector<std::string> split_ids(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  for (std::string id; std::getline(ss, id, ',');) out.push_back(id);
  return out;
}

// Seed of slice z's noise for a task.
inline std::uint64_t slice_seed(std::uint64_t task_seed, std::size_t z) {
  return task_seed * 1000003ull + static_cast<std::uint64_t>(z) * 7919ull + 17;
}

// Split of every slice in a slab of a pairs spec; guards between train/support and test are checked.
inline std::map<std::size_t, split> pair_roles(const set_spec& spec, std::size_t n_slices, double slice_mm,
                                               const std::string& mf) {
  const double guard = std::stod(spec.get_or("guard_mm", "8"));
  std::map<std::size_t, split> roles;
  for (auto [slabs, role] : {std::pair{&spec.train, split::train}, std::pair{&spec.support, split::support},
                             std::pair{&spec.test, split::test}})
    for (const auto& s : *slabs) {
      MVG_CHECK(s.last < n_slices, mf, ": line ", spec.line, ": pairs ", spec.name, ": slab ", s.first, "-", s.last,
                " exceeds the volume's ", n_slices, " slices");
      if (role != split::test)
        for (const auto& t : spec.test) {
          const std::size_t gap = s.last < t.first ? t.first - s.last - 1 : s.first - t.last - 1;
          MVG_CHECK(static_cast<double>(gap) * slice_mm + 1e-9 >= guard, mf, ": line ", spec.line, ": pairs ",
                    spec.name, ": slabs ", s.first, "-", s.last, " and ", t.first, "-", t.last, " leave ",
                    static_cast<double>(gap) * slice_mm, " mm, below guard_mm=", guard);
        }
      for (std::size_t z = s.first; z <= s.last; ++z) roles[z] = role;
    }
  return roles;
}

inline image2d<std::uint8_t> mask_slice(const mask3d& m, std::size_t axis, std::size_t z) {
  return extract_slice<std::uint8_t>(m, axis, z);
}

inline std::size_t mask_count(const image2d<std::uint8_t>& m) {
  return static_cast<std::size_t>(std::count_if(m.begin(), m.end(), [](std::uint8_t x) { return x != 0; }));
}

// ---- the scans behind the pairs ----

// Cranium's intracranial soft tissue: inside the skull (bone holes filled per slice), not bone, HU in
// [−20, 100]; slices with an open skull fall back to soft tissue inside the head, 4 mm off its edge.
inline const mask3d& cranium_brain(volume_store& s, const std::string& id) {
  return s.memo<mask3d>("cranium-brain:" + id, [&] {
    const auto& p = s.inv3(id);
    const mask3d& head = cranium_head(s, id);
    mask3d bone = p.masks.at(0).data;
    for (std::size_t i = 0; i < bone.size(); ++i) bone.data()[i] &= head.data()[i];
    const mask3d inside = fill_holes_2d(bone, 0);
    mask3d out = mask3d::from_shape(head.shape());
    const std::size_t nz = head.shape()[0], ny = head.shape()[1], nx = head.shape()[2];
    for (std::size_t z = 0; z < nz; ++z) {
      std::size_t n = 0;
      for (std::size_t i = z * ny * nx; i < (z + 1) * ny * nx; ++i) {
        const float hu = p.matrix.data()[i];
        out.data()[i] = inside.data()[i] && !bone.data()[i] && hu >= -20 && hu <= 100;
        n += out.data()[i];
      }
      if (n >= 500) continue;
      for (std::size_t y = 0; y < ny; ++y)
        for (std::size_t x = 0; x < nx; ++x) {
          const bool deep = y >= 4 && x >= 4 && y + 4 < ny && x + 4 < nx && head(z, y, x) && head(z, y - 4, x) &&
                            head(z, y + 4, x) && head(z, y, x - 4) && head(z, y, x + 4);  // 4 px ≈ 4 mm inside
          const float hu = p.matrix(z, y, x);
          out(z, y, x) = deep && hu >= -20 && hu <= 100;
        }
    }
    return out;
  });
}

inline const dicom_mosaic& mosaic(volume_store& s, const std::string& id) {
  return s.memo<dicom_mosaic>("dicom:" + id, [&] { return read_siemens_mosaic(s.path(id)); });
}

// Raw DWI values with the saturated (65535) pixels clipped to the volume's unsaturated 99.5th percentile.
inline xt::xarray<float> dwi_clipped(const dicom_mosaic& m) {
  const float hi = percentile_range(m.volume, 0.5, 99.5, 65535.0f).hi;
  xt::xarray<float> v = m.volume;
  for (auto& x : v) x = x >= 65535.0f ? hi : x;
  return v;
}

// A DWI image: the mean of the listed volumes (the two b≈0 repeats for X1), clipped, then scaled per volume.
inline const xt::xarray<float>& dwi_image(volume_store& s, const std::string& ids) {
  return s.memo<xt::xarray<float>>("dwi:" + ids, [&] {
    const auto list = split_ids(ids);
    xt::xarray<float> sum;
    for (const auto& id : list) {
      const auto v = dwi_clipped(mosaic(s, id));
      if (&id == &list.front()) sum = v;
      else {
        MVG_CHECK(sum.shape() == v.shape(), s.path(id).string(), ": mosaic shape differs from ", list[0]);
        sum += v;
      }
    }
    sum /= static_cast<float>(list.size());
    return xt::xarray<float>(scale_mri(sum));
  });
}

// DWI brain: mean b≈0 above 20% of its 99th percentile, largest 3-D component, holes filled per slice.
inline const mask3d& dwi_brain(volume_store& s, const std::string& ids) {
  return s.memo<mask3d>("dwi-brain:" + ids, [&] {
    const auto& img = dwi_image(s, ids);
    const float thr = 0.2f * percentile_range(img, 0.5, 99.0).hi;
    mask3d m = mask3d::from_shape(img.shape());
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = img.data()[i] > thr;
    return fill_holes_2d(largest_component(m), 0);
  });
}

// ---- D1: the simulation at Cranium's native grid, memoised per process ----

struct ct_native_pair {
  image2d<float> noisy_hu, clean_hu;
};

// The geometry per grid size, the noiseless sinogram and its FBP per slice (shared by both doses), and
// the noisy FBP per (slice, dose, seed): all memoised for the process.
inline std::shared_ptr<const ct_native_pair> simulate_ct_slice(const std::string& slice_key, const image2d<float>& hu,
                                                               double pixel_mm, const ct_dose& dose,
                                                               std::uint64_t seed) {
  struct clean_entry {
    image2d<float> sino, clean_hu;
  };
  static std::mutex mu;
  static std::map<std::size_t, std::shared_ptr<const parallel_beam>> geos;
  static std::map<std::string, std::shared_ptr<const clean_entry>> cleans;
  static std::map<std::string, std::shared_ptr<const ct_native_pair>> pairs;
  const std::string key = slice_key + "|" + std::to_string(dose.i0) + "|" + std::to_string(dose.electronic_sigma) +
                          "|" + std::to_string(seed);
  std::shared_ptr<const parallel_beam> geo;
  std::shared_ptr<const clean_entry> clean;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = pairs.find(key); it != pairs.end()) return it->second;
    auto& g = geos[hu.shape()[0]];
    if (!g) g = std::make_shared<const parallel_beam>(hu.shape()[0], 360);
    geo = g;
    if (auto it = cleans.find(slice_key); it != cleans.end()) clean = it->second;
  }
  if (!clean) {
    image2d<float> p = ct_sinogram(*geo, hu, pixel_mm);
    image2d<float> c = ct_reconstruct(*geo, p, pixel_mm);
    auto made = std::make_shared<const clean_entry>(clean_entry{std::move(p), std::move(c)});
    std::lock_guard<std::mutex> lock(mu);
    clean = cleans.emplace(slice_key, made).first->second;
  }
  rng g(seed);
  auto out = std::make_shared<const ct_native_pair>(
      ct_native_pair{ct_reconstruct(*geo, noisy_sinogram(clean->sino, dose, g), pixel_mm), clean->clean_hu});
  std::lock_guard<std::mutex> lock(mu);
  return pairs.emplace(key, out).first->second;
}

struct pair_builder {
  volume_store& store;
  const set_spec& spec;
  std::size_t size;
  std::string mf;
  image_task task;

  template <class T>
  image2d<T> fit(const image2d<T>& native, bool rot, bool nearest) const {
    return canvas(native, rot, size, nearest);
  }
  bool rot() const {
    const std::string o = spec.get_or("orient", "none");
    MVG_CHECK(o == "rot90" || o == "none", mf, ": line ", spec.line, ": orient must be rot90 or none");
    return o == "rot90";
  }
  std::vector<image_pair>& list(split s) {
    return s == split::train ? task.train : s == split::support ? task.support : task.test;
  }
  std::size_t min_fg() const { return manifest_uint(spec.get_or("min_fg", "500"), mf); }
};

inline void build_ct_lowdose(pair_builder& b) {
  const std::string id = b.spec.get("image", b.mf);
  const auto& p = b.store.inv3(id);
  const double dose_i0 = std::stod(b.spec.get("dose", b.mf));
  const ct_dose dose{dose_i0, 5.0};
  const ct_window w{-1000.0f, 2000.0f};
  b.task.kind = image_task_kind::denoising;
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

// ch2 slices with the S1 brain (largest 3-D component of ch2bet > 0).
inline const mask3d& ch2_brain(volume_store& s, const set_spec& spec, const std::string& mf) {
  const std::string key = "brain-mask:" + spec.get("labels", mf);
  return s.memo<mask3d>(key, [&] {
    const auto ids = nifti_labels(s, spec);
    mask3d m = mask3d::from_shape(ids->shape());
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = ids->data()[i] >= 1;
    return largest_component(m);
  });
}

inline void build_rician(pair_builder& b) {
  const double pct = std::stod(b.spec.get("sigma_pct", b.mf));
  b.task.kind = image_task_kind::denoising;
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

inline void build_inpaint(pair_builder& b) {
  b.task.kind = image_task_kind::inpainting;
  const std::string id = b.spec.get("image", b.mf);
  const auto& img = normalised_image(b.store, b.spec);
  b.task.slice_mm = slice_spacing(b.store, id, b.task.axis);
  const bool ct = is_inv3(b.store, id), rot = b.rot();
  const mask3d* body3 = nullptr;
  const mask3d* brain3 = nullptr;
  if (ct) {
    body3 = &cranium_head(b.store, id), brain3 = &cranium_brain(b.store, id);
  } else {
    brain3 = &ch2_brain(b.store, b.spec, b.mf);
    body3 = &b.store.memo<mask3d>("body:" + id, [&] {
      mask3d m = mask3d::from_shape(img.shape());
      for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = img.data()[i] > 0.08f;
      return fill_holes_2d(largest_component(m), b.task.axis);
    });
  }
  b.task.description = std::string("inpainting: 1-3 boxes (sides 12-40 px at 128^2) inside the ") +
                       (ct ? "head" : "body") + " or lesion-like blobs inside the " +
                       (ct ? "intracranial soft tissue" : "brain") + "; hole = 0 in the input";
  std::size_t index = 0;
  for (const auto& [z, role] : pair_roles(b.spec, img.shape()[b.task.axis], b.task.slice_mm, b.mf)) {
    const auto body = mask_slice(*body3, b.task.axis, z);
    if (mask_count(body) < b.min_fg()) continue;
    image_pair pr;
    pr.slice = z;
    pr.target = b.fit(extract_slice<float>(img, b.task.axis, z), rot, false);
    pr.body = b.fit(body, rot, true);
    pr.region = b.fit(mask_slice(*brain3, b.task.axis, z), rot, true);
    if (mask_count(pr.region) == 0) pr.region = pr.body;
    pr.seed = hole_seed(role == split::test, b.task.seed, index++);
    pr.hole = make_hole_mask(pr.body, pr.region, pr.seed);
    pr.input = punch_holes(pr.target, pr.hole);
    b.list(role).push_back(std::move(pr));
  }
}

// D3 (repeat 1 → repeat 2, scaled with repeat 1's range) and X1 (image → target, each scaled per volume).
inline void build_dwi(pair_builder& b, bool repeat) {
  const std::string in_ids = b.spec.get("image", b.mf), out_ids = b.spec.get("target", b.mf);
  b.task.kind = repeat ? image_task_kind::denoising : image_task_kind::synthesis;
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

inline image_task build_image_task(volume_store& store, const set_spec& spec, std::size_t size) {
  pair_builder b{store, spec, size, store.spec().path.string(), {}};
  image_task& t = b.task;
  t.name = spec.name;
  t.recipe = spec.get("recipe", b.mf);
  t.axis = manifest_uint(spec.get("axis", b.mf), b.mf);
  MVG_CHECK(t.axis < 3, b.mf, ": line ", spec.line, ": axis must be 0, 1 or 2");
  t.image_size = size;
  t.seed = manifest_uint(spec.get_or("seed", "0"), b.mf);
  t.train_slabs = spec.train, t.test_slabs = spec.test, t.support_slabs = spec.support;
  t.test_only = spec.train.empty();
  for (const char* key : {"image", "target"})
    if (spec.keys.count(key))
      for (const auto& id : split_ids(spec.keys.at(key)))
        if (std::find(t.volumes.begin(), t.volumes.end(), id) == t.volumes.end()) t.volumes.push_back(id);
  if (t.recipe == "ct-lowdose") build_ct_lowdose(b);
  else if (t.recipe == "rician") build_rician(b);
  else if (t.recipe == "inpaint") build_inpaint(b);
  else if (t.recipe == "dwi-repeat") build_dwi(b, true);
  else if (t.recipe == "dwi-synthesis") build_dwi(b, false);
  else ::mvg::detail::fail(b.mf, ": line ", spec.line, ": pairs ", spec.name, ": unknown recipe '", t.recipe, "'");
  MVG_CHECK(!t.test.empty() && (t.test_only || !t.train.empty()), b.mf, ": pairs ", spec.name,
            ": a split has no slice with ", b.min_fg(), " foreground pixels");
  return std::move(b.task);
}

}  // namespace detail

// Builds the requested image-to-image tasks (all by default). See cached_image_tasks.
inline image_task_set load_image_tasks(const image_task_options& o = {}) {
  const auto start = std::chrono::steady_clock::now();
  MVG_CHECK(o.image_size >= 8 && o.image_size <= 4096, "load_image_tasks: image_size ", o.image_size, " outside 8..4096");
  const auto mpath = o.manifest.empty() ? default_manifest_path() : o.manifest;
  const auto dir = o.data_dir.empty() ? default_data_dir(mpath) : o.data_dir;
  MVG_CHECK(std::filesystem::is_directory(dir), "benchmark data folder ", dir.string(),
            " does not exist: run scripts/fetch_data.sh (or set MVG_DATA_DIR)");
  volume_store store(read_manifest(mpath), dir);
  for (const auto& want : o.tasks) {
    bool found = false;
    for (const auto& s : store.spec().pairs) found |= s.name == want;
    MVG_CHECK(found, mpath.string(), ": no pairs task named '", want, "'");
  }
  image_task_set out;
  for (const auto& spec : store.spec().pairs) {
    if (!o.tasks.empty() && std::find(o.tasks.begin(), o.tasks.end(), spec.name) == o.tasks.end()) continue;
    out.tasks.push_back(detail::build_image_task(store, spec, o.image_size));
  }
  out.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// load_image_tasks memoised for the process, keyed by manifest, data folder, size and task list.
inline std::shared_ptr<const image_task_set> cached_image_tasks(const image_task_options& o = {}) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const image_task_set>> cache;
  std::string key = o.manifest.string() + "|" + o.data_dir.string() + "|" + std::to_string(o.image_size);
  for (const auto& s : o.tasks) key += "|" + s;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[key];
  if (!slot) slot = std::make_shared<const image_task_set>(load_image_tasks(o));
  return slot;
}

// A fresh training hole for a training pair (seed from the training range only): trainers may redraw
// holes every step instead of reusing pair.hole.
inline image_pair redraw_hole(const image_pair& p, std::uint64_t task_seed, std::uint64_t index) {
  MVG_CHECK(p.body.size() > 0, "redraw_hole: the pair is not an inpainting pair");
  image_pair out = p;
  out.seed = hole_seed(false, task_seed, index);
  out.hole = make_hole_mask(p.body, p.region, out.seed);
  out.input = punch_holes(p.target, out.hole);
  return out;
}

}  // namespace mvg::data
