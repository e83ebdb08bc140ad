// mvg/data/benchmark/image_tasks.hpp: the image-to-image tasks of shared/DATA.md, built from the "pairs"
// lines of data/benchmark.manifest by their recipe (data/benchmark/recipes/): D1 low-dose CT (two
// doses), D2 Rician MRI noise (three levels), D3 real-noise DWI repeats (test only), inpainting on ch2
// and Cranium, and X1 DWI synthesis b≈0 ↔ b=1500. image_task.hpp states the contract every task keeps.
#pragma once
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/benchmark/recipes/ct_lowdose.hpp"
#include "mvg/data/benchmark/recipes/dwi.hpp"
#include "mvg/data/benchmark/recipes/inpaint.hpp"
#include "mvg/data/benchmark/recipes/rician.hpp"
#include "mvg/data/simulate/holes.hpp"

namespace mvg::data {

namespace detail {

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
  return detail::memoised<image_task_set>(o, o.tasks, [&] { return load_image_tasks(o); });
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
