// mvg/data/benchmark/benchmark.hpp: the segmentation sets of shared/DATA.md (S1, S2-lobes, S2-regions, S3,
// S5-bone, S5-head, U1-hemispheres, U1-parcels, U2) as 2-D samples, built from data/benchmark.manifest.
// Contract: deterministic (no randomness here; each set carries a seed for whoever samples from it).
// Every image is one slice normalised to [0, 1], zero-padded to a square and resized (bilinear) to
// image_size²; every label is the same slice, padded and resized with nearest, as uint8 class ids
// (0 = background; binary tasks use 1). A slice enters a task only with ≥ min_fg foreground pixels at
// native resolution. Seen sets ("S") split each volume in slabs whose guard gap is checked against
// guard_mm; test-only sets ("U") hold support slices (every n-th) and queries ≥ query_gap slices away
// from every support slice. Splits never share a slice. Images are stored once per set and shared by
// its tasks (S2-regions has 100+ tasks over the same slices).
// Held-out classes: a set whose manifest line has hold_out=N gives one in N of its seen classes
// (those with training and test slices; chosen by hold_out_seed) to a sibling set "<name>-held-out".
// That set keeps its training slices as prompt pool but is never trained on (trainers skip it), so
// its scores measure prompt reading on classes no training can have memorised.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/data/benchmark/manifest.hpp"
#include "mvg/data/benchmark/sources.hpp"

namespace mvg::data {

enum class split { train, support, test };

inline const char* split_name(split s) { return s == split::train ? "train" : s == split::support ? "support" : "test"; }

struct seg_sample {
  std::size_t image = 0;             // index into benchmark_set::images
  image2d<std::uint8_t> label;       // image_size × image_size class ids
  std::size_t volume = 0;            // index into benchmark_set::volumes
  std::size_t slice = 0;             // source slice index along benchmark_set::axis
  std::size_t foreground = 0;        // foreground pixels at native resolution
};

struct seg_task {
  std::string name;
  std::int32_t source_label = -1;    // the atlas id of a per-label task; -1 for multi-class tasks
  std::vector<std::string> classes;  // class names, [0] = background
  std::vector<seg_sample> train, support, test;

  const std::vector<seg_sample>& samples(split s) const {
    return s == split::train ? train : s == split::support ? support : test;
  }
  // Where prompts for test queries come from: the training slabs, or the support slices of a U set.
  const std::vector<seg_sample>& prompt_pool() const { return train.empty() ? support : train; }
  // S2's "unseen classes": a region met in the test slabs only (its prompts are test-slab support slices).
  bool unseen_in_training() const { return train.empty(); }
};

struct benchmark_set {
  std::string name, recipe, description;
  std::vector<std::string> volumes;  // source file ids (one per set here; one per subject in a dataset)
  std::vector<std::size_t> volume_depth;  // slices along axis of each volume, where prompts cross subjects
  std::size_t axis = 2;
  double slice_mm = 1.0;             // spacing between slices along axis
  std::size_t image_size = 64;
  std::uint64_t seed = 0;
  bool test_only = false;
  bool held_out = false;                         // classes never trained on: prompts only (see above)
  // Several subjects: prompts come from other subjects at the same relative slice position.
  bool across_subjects() const { return volume_depth.size() > 1; }
  double relative_position(const seg_sample& s) const {
    return (static_cast<double>(s.slice) + 0.5) / static_cast<double>(volume_depth.at(s.volume));
  }
  std::vector<slab> train_slabs, test_slabs;     // seen sets
  std::size_t support_every = 0, query_gap = 0;  // U sets, and unseen-class tasks of S sets
  std::vector<image2d<float>> images;
  std::vector<std::size_t> image_slice;          // source slice of each image
  std::vector<seg_task> tasks;

  const image2d<float>& image(const seg_sample& s) const { return images.at(s.image); }
  const seg_task& task(std::string_view name) const {
    for (const auto& t : tasks)
      if (t.name == name) return t;
    ::mvg::detail::fail("benchmark set ", this->name, ": no task named '", name, "'");
  }
  std::size_t count(split s) const {
    std::size_t n = 0;
    for (const auto& t : tasks) n += t.samples(s).size();
    return n;
  }
};

struct benchmark {
  std::vector<benchmark_set> sets;
  double load_seconds = 0;
  const benchmark_set& set(std::string_view name) const { return detail::by_name(sets, name, "benchmark", "set"); }
};

struct benchmark_options : data_source {
  std::vector<std::string> sets;  // empty: all
};

namespace detail {

// The split of every slice that enters the set (slices in no split are absent).
inline std::map<std::size_t, split> slice_roles(const set_spec& spec, std::size_t n_slices, double slice_mm,
                                                const std::string& mf) {
  std::map<std::size_t, split> roles;
  if (spec.test_only()) {
    for (std::size_t z = 0; z < n_slices; ++z) {
      const std::size_t r = z % spec.support_every, up = spec.support_every - r;
      // the grid slice above z may lie past the volume's end: then only the one below counts
      const bool far_up = up >= spec.query_gap || z + up >= n_slices;
      if (r == 0) roles[z] = split::support;
      else if (r >= spec.query_gap && far_up) roles[z] = split::test;
    }
    return roles;
  }
  const double guard = std::stod(spec.get_or("guard_mm", "8"));
  for (const auto& a : spec.train)
    for (const auto& b : spec.test) {
      const std::size_t gap = a.last < b.first ? b.first - a.last - 1 : a.first - b.last - 1;
      MVG_CHECK(static_cast<double>(gap) * slice_mm + 1e-9 >= guard, mf, ": line ", spec.line, ": set ", spec.name,
                ": slabs ", a.first, "-", a.last, " and ", b.first, "-", b.last, " leave ", gap, " guard slices = ",
                static_cast<double>(gap) * slice_mm, " mm, below guard_mm=", guard);
    }
  for (auto [slabs, role] : {std::pair{&spec.train, split::train}, std::pair{&spec.test, split::test}})
    for (const auto& s : *slabs) {
      MVG_CHECK(s.last < n_slices, mf, ": line ", spec.line, ": set ", spec.name, ": slab ", s.first, "-", s.last,
                " exceeds the volume's ", n_slices, " slices");
      for (std::size_t z = s.first; z <= s.last; ++z) roles[z] = role;
    }
  return roles;
}

template <class T>
image2d<T> canvas(const image2d<T>& slice, bool rot90, std::size_t size, bool nearest) {
  const image2d<T> sq = pad_to_square(rot90 ? rotate90(slice) : slice);
  if constexpr (std::is_floating_point_v<T>) {
    if (!nearest) return resize_bilinear(sq, size, size);
  }
  return resize_nearest(sq, size, size);
}

inline benchmark_set build_set(volume_store& store, const set_spec& spec, std::size_t size) {
  const std::string mf = store.spec().path.string();
  const labelled_volume lv = make_labelled_volume(store, spec);
  benchmark_set set;
  set.name = spec.name;
  set.recipe = spec.get("task", mf);
  set.description = lv.description;
  set.volumes = {spec.get("image", mf)};
  set.axis = manifest_uint(spec.get("axis", mf), mf);
  set.slice_mm = lv.slice_mm;
  set.image_size = size;
  set.seed = manifest_uint(spec.get_or("seed", "0"), mf);
  set.test_only = spec.test_only();
  set.train_slabs = spec.train, set.test_slabs = spec.test;
  set.support_every = spec.support_every, set.query_gap = spec.query_gap;
  const std::string orient = spec.get_or("orient", "none");
  MVG_CHECK(orient == "rot90" || orient == "none", mf, ": line ", spec.line, ": orient must be rot90 or none");
  const bool rot = orient == "rot90";
  const std::size_t min_fg = manifest_uint(spec.get_or("min_fg", "500"), mf);

  const auto roles = slice_roles(spec, lv.image->shape()[set.axis], set.slice_mm, mf);
  std::map<std::int32_t, std::size_t> task_of;  // label id (per-label) -> task index
  if (!lv.per_label) {
    seg_task t;
    t.name = spec.name;
    t.classes = lv.classes;
    set.tasks.push_back(std::move(t));
  } else {
    for (const auto& [id, name] : lv.label_names) {
      task_of[id] = set.tasks.size();
      seg_task t;
      t.name = name;
      t.source_label = id;
      t.classes = {"background", name};
      set.tasks.push_back(std::move(t));
    }
  }
  for (const auto& [z, role] : roles) {
    const image2d<std::int32_t> native = extract_slice<std::int32_t>(*lv.labels, set.axis, z);
    std::map<std::int32_t, std::size_t> counts;
    for (auto x : native)
      if (x > 0) ++counts[lv.per_label ? x : 1];
    std::vector<std::pair<std::size_t, std::size_t>> keep;  // (task, foreground)
    for (const auto& [id, n] : counts)
      if (n >= min_fg) keep.emplace_back(lv.per_label ? task_of.at(id) : 0, n);
    if (keep.empty()) continue;
    const image2d<std::int32_t> resized = canvas(native, rot, size, true);
    set.images.push_back(canvas(extract_slice<float>(*lv.image, set.axis, z), rot, size, false));
    set.image_slice.push_back(z);
    for (const auto& [ti, fg] : keep) {
      seg_task& t = set.tasks[ti];
      seg_sample s;
      s.image = set.images.size() - 1;
      s.slice = z;
      s.foreground = fg;
      s.label = image2d<std::uint8_t>::from_shape({size, size});
      for (std::size_t i = 0; i < resized.size(); ++i) {
        const std::int32_t x = resized.data()[i];
        s.label.data()[i] = static_cast<std::uint8_t>(lv.per_label ? (x == t.source_label ? 1 : 0) : x);
      }
      (role == split::train ? t.train : role == split::support ? t.support : t.test).push_back(std::move(s));
    }
  }
  std::erase_if(set.tasks, [](const seg_task& t) { return t.train.empty() && t.support.empty() && t.test.empty(); });
  if (!set.test_only) {
    // A class met only in the test slabs (S2's unseen classes) takes its prompts as a U set does: support
    // = test slices on a 10-slice grid, queries = test slices ≥ 5 slices from every grid slice.
    set.support_every = 10, set.query_gap = 5;
    for (auto& t : set.tasks) {
      if (!t.train.empty()) continue;
      std::vector<seg_sample> queries;
      for (auto& smp : t.test) {
        const std::size_t r = smp.slice % set.support_every;
        if (r == 0) t.support.push_back(std::move(smp));
        else if (std::min(r, set.support_every - r) >= set.query_gap) queries.push_back(std::move(smp));
      }
      t.test = std::move(queries);
    }
    std::erase_if(set.tasks, [](const seg_task& t) { return t.test.empty() && t.train.empty(); });
  }
  for (const auto& t : set.tasks)
    MVG_CHECK(t.classes.size() <= 256, "benchmark set ", set.name, ": task ", t.name, " has more than 255 classes");
  MVG_CHECK(!set.tasks.empty(), "benchmark set ", set.name, ": no slice has ", min_fg, " foreground pixels");
  return set;
}

// Moves one in `every` of the set's seen classes (tasks with training and test slices), drawn by
// `seed`, into a new set named "<name>-held-out" that shares the set's images.
inline benchmark_set split_held_out(benchmark_set& set, std::size_t every, std::uint64_t seed, const std::string& where) {
  MVG_CHECK(every >= 2, where, ": hold_out=", every, " must be at least 2 (one class in hold_out is held out)");
  std::vector<std::size_t> seen;
  for (std::size_t i = 0; i < set.tasks.size(); ++i)
    if (!set.tasks[i].train.empty() && !set.tasks[i].test.empty()) seen.push_back(i);
  const std::size_t k = (seen.size() + every / 2) / every;
  MVG_CHECK(k > 0 && k < seen.size(), where, ": hold_out=", every, " leaves no held-out class among the ", seen.size(),
            " seen classes of set ", set.name);
  rng g(seed);
  for (std::size_t i = 0; i < k; ++i)  // partial Fisher–Yates: the first k are held out
    std::swap(seen[i], seen[i + static_cast<std::size_t>(g.below(seen.size() - i))]);
  std::vector<bool> out(set.tasks.size(), false);
  for (std::size_t i = 0; i < k; ++i) out[seen[i]] = true;
  benchmark_set held = set;
  held.name = set.name + "-held-out";
  held.held_out = true;
  held.tasks.clear();
  std::vector<seg_task> kept;
  for (std::size_t i = 0; i < set.tasks.size(); ++i) (out[i] ? held.tasks : kept).push_back(std::move(set.tasks[i]));
  set.tasks = std::move(kept);
  return held;
}

}  // namespace detail

// The name of the held-out sibling of a set whose manifest line has hold_out (empty otherwise).
inline std::string held_out_name(const set_spec& spec) {
  return spec.keys.count("hold_out") ? spec.name + "-held-out" : std::string();
}

// Builds the requested sets (all by default). Each call decodes the scans anew; see cached_benchmark.
inline benchmark load_benchmark(const benchmark_options& o = {}) {
  const auto start = std::chrono::steady_clock::now();
  MVG_CHECK(o.image_size >= 8 && o.image_size <= 4096, "load_benchmark: image_size ", o.image_size,
            " outside 8..4096");
  const auto mpath = o.manifest.empty() ? default_manifest_path() : o.manifest;
  const auto dir = o.data_dir.empty() ? default_data_dir(mpath) : o.data_dir;
  MVG_CHECK(std::filesystem::is_directory(dir), "benchmark data folder ", dir.string(),
            " does not exist: run scripts/fetch_data.sh (or set MVG_DATA_DIR)");
  volume_store store(read_manifest(mpath), dir);
  benchmark b;
  auto wanted = [&](const std::string& name) {
    return !name.empty() && (o.sets.empty() || std::find(o.sets.begin(), o.sets.end(), name) != o.sets.end());
  };
  for (const auto& want : o.sets) {
    bool found = false;
    for (const auto& s : store.spec().sets) found |= s.name == want || held_out_name(s) == want;
    MVG_CHECK(found, mpath.string(), ": no set named '", want, "'");
  }
  for (const auto& spec : store.spec().sets) {
    const std::string held = held_out_name(spec);
    if (!wanted(spec.name) && !wanted(held)) continue;
    benchmark_set set = detail::build_set(store, spec, o.image_size);
    if (held.empty()) {
      b.sets.push_back(std::move(set));
      continue;
    }
    const std::string where = mpath.string() + ": line " + std::to_string(spec.line);
    benchmark_set h = detail::split_held_out(set, detail::manifest_uint(spec.get("hold_out", mpath.string()), where),
                                             detail::manifest_uint(spec.get("hold_out_seed", mpath.string()), where), where);
    // Asking for a set brings its held-out sibling along (a trainer skips it; an evaluator scores it).
    if (wanted(spec.name)) b.sets.push_back(std::move(set));
    b.sets.push_back(std::move(h));
  }
  b.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return b;
}

// load_benchmark memoised for the process, keyed by manifest, data folder, size and set list.
inline std::shared_ptr<const benchmark> cached_benchmark(const benchmark_options& o = {}) {
  return detail::memoised<benchmark>(o, o.sets, [&] { return load_benchmark(o); });
}

}  // namespace mvg::data
