// mvg_inventory: prints the benchmark — the segmentation sets (slices per split, classes) and the
// image-to-image tasks (denoising, inpainting, synthesis: pairs per split, measured noise) — and writes
// one contact sheet per set and per task so a person can check that images, labels and targets line up.
//
//   mvg_inventory [--size 64] [--out runs/inventory] [--data DIR] [--manifest FILE]
//
// Segmentation sheets have one row per split; every cell is the slice and, to its right, the slice with
// its label overlaid (one colour per class). Per-label sets show one sample from each of several tasks.
// Image-task sheets (<task>.png) have one row per split; every cell is input | target, plus for
// denoising the noise alone (input − target, grey = 0, ±100 HU for CT, ±0.15 for MRI) and for
// inpainting the hole in red.
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "mvg/data/benchmark.hpp"
#include "mvg/data/image_io.hpp"
#include "mvg/data/image_tasks.hpp"

namespace {

using mvg::data::benchmark_set;
using mvg::data::seg_sample;
using mvg::data::image_pair;
using mvg::data::image_task;

constexpr std::array<std::array<float, 3>, 9> palette = {{{0, 0, 0},       {1, .2f, .2f}, {.2f, 1, .2f},
                                                          {.3f, .5f, 1},   {1, 1, .2f},   {1, .3f, 1},
                                                          {.2f, 1, 1},     {1, .6f, .2f}, {.7f, .5f, 1}}};

// Pastes the grey slice and its overlay side by side at (row, col) of the sheet.
void paste(xt::xtensor<float, 3>& sheet, const benchmark_set& set, const seg_sample& s, std::size_t row,
           std::size_t col) {
  const auto& img = set.image(s);
  const std::size_t n = set.image_size;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      const float g = img(r, c);
      const auto k = s.label(r, c);
      const auto& rgb = palette[k == 0 ? 0 : 1 + (k - 1) % (palette.size() - 1)];
      for (std::size_t ch = 0; ch < 3; ++ch) {
        sheet(row + r, col + c, ch) = g;
        sheet(row + r, col + n + c, ch) = k ? 0.55f * g + 0.45f * rgb[ch] : g;
      }
    }
}

// Up to `cols` samples of one split, spread evenly over the tasks and slices.
std::vector<const seg_sample*> pick(const benchmark_set& set, mvg::data::split sp, std::size_t cols) {
  std::vector<const seg_sample*> all;
  if (set.tasks.size() == 1) {
    for (const auto& s : set.tasks[0].samples(sp)) all.push_back(&s);
  } else {
    for (const auto& t : set.tasks)
      if (!t.samples(sp).empty()) all.push_back(&t.samples(sp)[t.samples(sp).size() / 2]);
  }
  std::vector<const seg_sample*> out;
  for (std::size_t i = 0; i < cols && i < all.size(); ++i) out.push_back(all[i * all.size() / std::min(cols, all.size())]);
  return out;
}

void write_sheet(const benchmark_set& set, const std::filesystem::path& file, std::size_t cols = 8) {
  const std::size_t n = set.image_size, gap = 2, cell_w = 2 * n + gap;
  const std::vector<mvg::data::split> rows = set.test_only
      ? std::vector{mvg::data::split::support, mvg::data::split::test}
      : std::vector{mvg::data::split::train, mvg::data::split::test};
  xt::xtensor<float, 3> sheet = xt::ones<float>({rows.size() * (n + gap), cols * cell_w, std::size_t{3}});
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto chosen = pick(set, rows[r], cols);
    for (std::size_t c = 0; c < chosen.size(); ++c) paste(sheet, set, *chosen[c], r * (n + gap), c * cell_w);
  }
  mvg::data::write_png(file, sheet);
}

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

// input | target [| noise or hole] of one pair at (row, col).
void paste_pair(xt::xtensor<float, 3>& sheet, const image_task& t, const image_pair& p, std::size_t row,
                std::size_t col) {
  const std::size_t n = t.image_size;
  const bool ct = t.recipe == "ct-lowdose";
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      const float in = p.input(r, c), tg = p.target(r, c);
      float third[3] = {1, 1, 1};
      if (t.kind == mvg::data::image_task_kind::denoising) {
        // CT: the window spans 3000 HU, show ±100 HU; MRI: ±0.15
        const float d = ct ? (in - tg) * 3000.0f / 200.0f : (in - tg) / 0.3f;
        third[0] = third[1] = third[2] = std::clamp(0.5f + d, 0.0f, 1.0f);
      } else if (t.kind == mvg::data::image_task_kind::inpainting) {
        third[0] = p.hole(r, c) ? 1.0f : tg, third[1] = third[2] = p.hole(r, c) ? 0.2f : tg;
      }
      for (std::size_t ch = 0; ch < 3; ++ch) {
        sheet(row + r, col + c, ch) = in;
        sheet(row + r, col + n + c, ch) = tg;
        if (t.kind != mvg::data::image_task_kind::synthesis) sheet(row + r, col + 2 * n + c, ch) = third[ch];
      }
    }
}

void write_task_sheet(const image_task& t, const std::filesystem::path& file, std::size_t cols = 6) {
  const std::size_t n = t.image_size, gap = 2, panels = t.kind == mvg::data::image_task_kind::synthesis ? 2 : 3;
  const std::size_t cell_w = panels * n + 2 * gap;
  const std::vector<const std::vector<image_pair>*> rows = {&t.prompt_pool(), &t.test};
  xt::xtensor<float, 3> sheet = xt::ones<float>({rows.size() * (n + gap), cols * cell_w, std::size_t{3}});
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& list = *rows[r];
    for (std::size_t c = 0; c < cols && c < list.size(); ++c)
      paste_pair(sheet, t, list[c * list.size() / std::min(cols, list.size())], r * (n + gap), c * cell_w);
  }
  mvg::data::write_png(file, sheet);
}

void print_task(const image_task& t) {
  std::printf("%-16s %-13s %-10s %4.2f mm  %s %4zu  test %4zu\n", t.name.c_str(), t.recipe.c_str(),
              mvg::data::kind_name(t.kind), t.slice_mm, t.test_only ? "support" : "train  ", t.prompt_pool().size(),
              t.test.size());
  std::printf("  %s\n", t.description.c_str());
  if (!t.measured.empty()) {
    std::printf("  measured:");
    for (const auto& [k, v] : t.measured) std::printf(" %s=%.4g", k.c_str(), v);
    std::printf("\n");
  }
  if (!t.caveat.empty()) std::printf("  caveat: %s\n", t.caveat.c_str());
}

}  // namespace

int main(int argc, char** argv) try {
  mvg::data::benchmark_options opt;
  std::filesystem::path out = "runs/inventory";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--size") opt.image_size = std::stoul(value);
    else if (flag == "--out") out = value;
    else if (flag == "--data") opt.data_dir = value;
    else if (flag == "--manifest") opt.manifest = value;
    else throw mvg::error("mvg_inventory: unknown flag " + flag);
  }
  if (argc % 2 == 0) throw mvg::error("mvg_inventory: flag " + std::string(argv[argc - 1]) + " has no value");
  const auto bench = mvg::data::load_benchmark(opt);
  std::printf("mvg segmentation benchmark at %zu² (loaded in %.2f s)\n", opt.image_size, bench.load_seconds);
  std::filesystem::create_directories(out);
  for (const auto& set : bench.sets) {
    print_set(set);
    write_sheet(set, out / (set.name + ".png"));
  }
  mvg::data::image_task_options iopt;
  iopt.image_size = opt.image_size, iopt.manifest = opt.manifest, iopt.data_dir = opt.data_dir;
  const auto tasks = mvg::data::load_image_tasks(iopt);
  std::printf("\nimage-to-image tasks at %zu² (loaded in %.2f s)\n", opt.image_size, tasks.load_seconds);
  for (const auto& t : tasks.tasks) {
    print_task(t);
    write_task_sheet(t, out / (t.name + ".png"));
  }
  std::printf("contact sheets: %s/<set or task>.png\n", out.string().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
