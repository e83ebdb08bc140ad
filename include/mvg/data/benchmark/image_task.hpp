// mvg/data/benchmark/image_task.hpp: one image-to-image task of shared/DATA.md as (input, target) pairs,
// and what every recipe that builds one shares (data/benchmark/recipes/).
// Contract: every image is a 2-D slice in [0, 1], zero-padded to a square and resized (bilinear) to
// image_size², the segmentation sets' preprocessing; masks (hole, region, body) go through the same
// geometry with nearest. Splits are contiguous slabs with guard gaps ≥ guard_mm (checked); the test-only
// D3 has a support list (prompt pairs, never training data) instead of a training list. Deterministic:
// noise and holes come from seeds derived from the task seed and the slice (holes: hole_seed, whose test
// range is never used for training). D1 is simulated at Cranium's native 256² grid (0.957 mm pixels,
// the grid DATA.md's ≈ 23 / 47 HU refer to) and memoised per process; the other recipes are cheap.
#pragma once
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/benchmark/sources.hpp"
#include "mvg/data/benchmark/task_kind.hpp"

namespace mvg::data {

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
  task_kind kind = task_kind::denoising;  // never segmentation
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
  const image_task& task(std::string_view name) const { return detail::by_name(tasks, name, "image tasks", "task"); }
};

struct image_task_options : data_source {
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

}  // namespace detail
}  // namespace mvg::data
