// mvg/viz/contact_sheet.hpp: contact sheets of the benchmark, so a person can check that images, labels
// and targets line up (mvg_inventory writes one per set and per task).
//   Segmentation (write_set_sheet): one row per split; every cell is the slice and, to its right, the
//   slice with its label overlaid (one colour per class). Per-label sets show one sample from each of
//   several tasks.
//   Image tasks (write_task_sheet): one row per split; every cell is input | target, plus for denoising
//   the noise alone (input − target, grey = 0, ±100 HU for CT, ±0.15 for MRI) and for inpainting the
//   hole in red.
#pragma once
#include <algorithm>
#include <array>
#include <filesystem>
#include <vector>

#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/data/formats/image_io.hpp"

namespace mvg::viz {

namespace detail {
using data::benchmark_set;
using data::image_pair;
using data::image_task;
using data::seg_sample;

inline constexpr std::array<std::array<float, 3>, 9> palette = {{{0, 0, 0},       {1, .2f, .2f}, {.2f, 1, .2f},
                                                          {.3f, .5f, 1},   {1, 1, .2f},   {1, .3f, 1},
                                                          {.2f, 1, 1},     {1, .6f, .2f}, {.7f, .5f, 1}}};

// Pastes the grey slice and its overlay side by side at (row, col) of the sheet.
inline void paste_slice(xt::xtensor<float, 3>& sheet, const benchmark_set& set, const seg_sample& s,
                        std::size_t row, std::size_t col) {
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
inline std::vector<const seg_sample*> pick(const benchmark_set& set, data::split sp, std::size_t cols) {
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

inline void write_set_sheet(const benchmark_set& set, const std::filesystem::path& file, std::size_t cols = 8) {
  const std::size_t n = set.image_size, gap = 2, cell_w = 2 * n + gap;
  const std::vector<data::split> rows = set.test_only
      ? std::vector{data::split::support, data::split::test}
      : std::vector{data::split::train, data::split::test};
  xt::xtensor<float, 3> sheet = xt::ones<float>({rows.size() * (n + gap), cols * cell_w, std::size_t{3}});
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto chosen = pick(set, rows[r], cols);
    for (std::size_t c = 0; c < chosen.size(); ++c) paste_slice(sheet, set, *chosen[c], r * (n + gap), c * cell_w);
  }
  data::write_png(file, sheet);
}

// input | target [| noise or hole] of one pair at (row, col).
inline void paste_pair(xt::xtensor<float, 3>& sheet, const image_task& t, const image_pair& p, std::size_t row,
                       std::size_t col) {
  const std::size_t n = t.image_size;
  const bool ct = t.recipe == "ct-lowdose";
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < n; ++c) {
      const float in = p.input(r, c), tg = p.target(r, c);
      float third[3] = {1, 1, 1};
      if (t.kind == data::task_kind::denoising) {
        // CT: the window spans 3000 HU, show ±100 HU; MRI: ±0.15
        const float d = ct ? (in - tg) * 3000.0f / 200.0f : (in - tg) / 0.3f;
        third[0] = third[1] = third[2] = std::clamp(0.5f + d, 0.0f, 1.0f);
      } else if (t.kind == data::task_kind::inpainting) {
        third[0] = p.hole(r, c) ? 1.0f : tg, third[1] = third[2] = p.hole(r, c) ? 0.2f : tg;
      }
      for (std::size_t ch = 0; ch < 3; ++ch) {
        sheet(row + r, col + c, ch) = in;
        sheet(row + r, col + n + c, ch) = tg;
        if (t.kind != data::task_kind::synthesis) sheet(row + r, col + 2 * n + c, ch) = third[ch];
      }
    }
}

inline void write_task_sheet(const image_task& t, const std::filesystem::path& file, std::size_t cols = 6) {
  const std::size_t n = t.image_size, gap = 2, panels = t.kind == data::task_kind::synthesis ? 2 : 3;
  const std::size_t cell_w = panels * n + 2 * gap;
  const std::vector<const std::vector<image_pair>*> rows = {&t.prompt_pool(), &t.test};
  xt::xtensor<float, 3> sheet = xt::ones<float>({rows.size() * (n + gap), cols * cell_w, std::size_t{3}});
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& list = *rows[r];
    for (std::size_t c = 0; c < cols && c < list.size(); ++c)
      paste_pair(sheet, t, list[c * list.size() / std::min(cols, list.size())], r * (n + gap), c * cell_w);
  }
  data::write_png(file, sheet);
}


}  // namespace detail

using detail::write_set_sheet;
using detail::write_task_sheet;

}  // namespace mvg::viz
