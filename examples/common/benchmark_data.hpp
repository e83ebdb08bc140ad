// examples/common/benchmark_data.hpp: loading the bundled real benchmark for the examples, with an
// optional list of set / task names (`--tasks S1,D2-3`); an unknown name is an error that lists
// the known ones. The manifest is the repository's data/benchmark.manifest (MVG_MANIFEST overrides).
// A user's own datasets (Decathlon / nnU-Net raw folders, --dataset) join as one segmentation set each;
// with datasets, the bundled benchmark comes along only for the names asked for.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <mvg/data/benchmark/benchmark.hpp>
#include <mvg/data/benchmark/decathlon.hpp>
#include <mvg/data/benchmark/image_tasks.hpp>

namespace example {

struct benchmark_data {
  std::shared_ptr<const mvg::data::benchmark> seg;
  std::shared_ptr<const mvg::data::image_task_set> img;
  double seconds() const { return seg->load_seconds + img->load_seconds; }
};

// Each folder becomes one set named after the folder; two of the same name would be ambiguous.
inline void add_datasets(mvg::data::benchmark& b, std::size_t image_size, const std::vector<std::string>& datasets,
                         std::size_t axis) {
  const auto start = std::chrono::steady_clock::now();
  for (const auto& dir : datasets) {
    const auto d = mvg::data::read_decathlon(dir);
    for (const auto& s : b.sets)
      MVG_CHECK(s.name != d.name, dir, ": a set named '", d.name, "' is already loaded (rename the folder)");
    mvg::data::decathlon_options o;
    o.image_size = image_size, o.axis = axis;
    b.sets.push_back(mvg::data::load_decathlon_set(d, o));
    std::printf("dataset %s\n", b.sets.back().description.c_str());
  }
  b.load_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline std::filesystem::path manifest_path() {
  if (const char* env = std::getenv("MVG_MANIFEST"); env && *env) return env;
  try {
    return mvg::data::default_manifest_path();  // found from the working directory upwards
  } catch (const mvg::error&) {
    return std::filesystem::path(MVG_EXAMPLE_SOURCE_DIR) / "data" / "benchmark.manifest";
  }
}

// names empty: every set and task of the manifest, unless datasets are given (then: none of it).
inline benchmark_data load_benchmark_data(std::size_t image_size, const std::string& data_dir,
                                          const std::vector<std::string>& names,
                                          const std::vector<std::string>& datasets = {}, std::size_t axis = 2) {
  if (!datasets.empty() && names.empty()) {
    auto seg = std::make_shared<mvg::data::benchmark>();
    add_datasets(*seg, image_size, datasets, axis);
    return {seg, std::make_shared<const mvg::data::image_task_set>()};
  }
  const auto manifest = manifest_path();
  const auto spec = mvg::data::read_manifest(manifest);
  std::vector<std::string> sets, pairs, known;
  for (const auto& s : spec.sets) {
    known.push_back(s.name);
    if (const auto h = mvg::data::held_out_name(s); !h.empty()) known.push_back(h);
  }
  for (const auto& s : spec.pairs) known.push_back(s.name);
  for (const auto& n : names) {
    const bool is_set = std::any_of(spec.sets.begin(), spec.sets.end(),
                                    [&](auto& s) { return s.name == n || mvg::data::held_out_name(s) == n; });
    const bool is_pair = std::any_of(spec.pairs.begin(), spec.pairs.end(), [&](auto& s) { return s.name == n; });
    if (!is_set && !is_pair) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      mvg::detail::fail("unknown task '", n, "' in --tasks (known: ", list, ")");
    }
    (is_set ? sets : pairs).push_back(n);
  }
  mvg::data::benchmark_options bo;
  bo.image_size = image_size, bo.manifest = manifest, bo.data_dir = data_dir, bo.sets = sets;
  mvg::data::image_task_options io;
  io.image_size = image_size, io.manifest = manifest, io.data_dir = data_dir, io.tasks = pairs;
  benchmark_data d;
  const bool all = names.empty();
  auto seg = all || !sets.empty() ? std::make_shared<mvg::data::benchmark>(mvg::data::load_benchmark(bo))
                                  : std::make_shared<mvg::data::benchmark>();
  add_datasets(*seg, image_size, datasets, axis);
  d.seg = seg;
  d.img = all || !pairs.empty() ? std::make_shared<const mvg::data::image_task_set>(mvg::data::load_image_tasks(io))
                                : std::make_shared<const mvg::data::image_task_set>();
  return d;
}

}  // namespace example
