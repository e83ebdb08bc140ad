// mvg_inventory: prints the benchmark — the segmentation sets (slices per split, classes) and the
// image-to-image tasks (denoising, inpainting, synthesis: pairs per split, measured noise) — and writes
// one contact sheet per set and per task so a person can check that images, labels and targets line up.
//
//   mvg_inventory [--size 64] [--out runs/inventory] [--data DIR] [--manifest FILE]   (--help explains them)
//
// The sheets are drawn by mvg/viz/contact_sheet.hpp, which says what each cell shows.
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/cli.hpp"
#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/viz/contact_sheet.hpp"

namespace {

using mvg::data::benchmark_set;
using mvg::data::image_task;

void print_set(const benchmark_set& set) {
  using mvg::data::split;
  std::printf("%-19s %-17s %4.2f mm  tasks %3zu  images %4zu  ", set.name.c_str(), set.recipe.c_str(), set.slice_mm,
              set.tasks.size(), set.images.size());
  if (set.test_only) std::printf("support %4zu  test %4zu\n", set.count(split::support), set.count(split::test));
  else std::printf("train %4zu  test %4zu\n", set.count(split::train), set.count(split::test));
  std::printf("  %s\n", set.description.c_str());
  if (set.tasks.size() == 1) {
    const auto& t = set.tasks[0];
    std::printf("  classes:");
    for (const auto& c : t.classes) std::printf(" %s", c.c_str());
    std::printf("\n");
  } else {
    std::size_t unseen = 0;
    for (const auto& t : set.tasks) unseen += !set.test_only && t.unseen_in_training();
    std::printf("  %zu binary tasks (%zu unseen in training), e.g. %s, %s\n", set.tasks.size(), unseen,
                set.tasks.front().name.c_str(), set.tasks.back().name.c_str());
  }
}

void print_task(const image_task& t) {
  std::printf("%-16s %-13s %-10s %4.2f mm  %s %4zu  test %4zu\n", t.name.c_str(), t.recipe.c_str(),
              mvg::data::task_name(t.kind), t.slice_mm, t.test_only ? "support" : "train  ", t.prompt_pool().size(),
              t.test.size());
  std::printf("  %s\n", t.description.c_str());
  if (!t.measured.empty()) {
    std::printf("  measured:");
    for (const auto& [k, v] : t.measured) std::printf(" %s=%.4g", k.c_str(), v);
    std::printf("\n");
  }
  if (!t.caveat.empty()) std::printf("  caveat: %s\n", t.caveat.c_str());
}

void inventory(const mvg::data::benchmark_options& opt, const std::filesystem::path& out) {
  const auto bench = mvg::data::load_benchmark(opt);
  std::printf("mvg segmentation benchmark at %zu² (loaded in %.2f s)\n", opt.image_size, bench.load_seconds);
  std::filesystem::create_directories(out);
  for (const auto& set : bench.sets) {
    print_set(set);
    mvg::viz::write_set_sheet(set, out / (set.name + ".png"));
  }
  mvg::data::image_task_options iopt;
  iopt.image_size = opt.image_size, iopt.manifest = opt.manifest, iopt.data_dir = opt.data_dir;
  const auto tasks = mvg::data::load_image_tasks(iopt);
  std::printf("\nimage-to-image tasks at %zu² (loaded in %.2f s)\n", opt.image_size, tasks.load_seconds);
  for (const auto& t : tasks.tasks) {
    print_task(t);
    mvg::viz::write_task_sheet(t, out / (t.name + ".png"));
  }
  std::printf("contact sheets: %s/<set or task>.png\n", out.string().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  mvg::data::benchmark_options opt;
  std::string out = "runs/inventory", data, manifest;
  CLI::App app{"Prints the benchmark (segmentation sets: slices per split and classes; image-to-image tasks: "
               "pairs per split and measured noise) and writes one contact sheet per set and per task, so a "
               "person can check that images, labels and targets line up.", "mvg_inventory"};
  app.add_option("--size", opt.image_size, "side of the square slices, in pixels")
      ->check(CLI::Range(std::size_t{1}, std::size_t{4096}))->capture_default_str();
  app.add_option("--out", out, "folder for the contact sheets (created)")->capture_default_str();
  app.add_option("--data", data, "benchmark data folder (default: $MVG_DATA_DIR, else .cache/data in the "
                 "repository holding the manifest)");
  app.add_option("--manifest", manifest, "benchmark manifest (default: $MVG_MANIFEST, else data/benchmark.manifest "
                 "found upwards from the working directory)");
  return example::run(app, argc, argv, [&] {
    opt.data_dir = data, opt.manifest = manifest;
    inventory(opt, out);
  });
}
