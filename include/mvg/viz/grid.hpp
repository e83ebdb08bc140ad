// mvg/viz/grid.hpp: a titled grid of pictures (rows = cases, columns = prompt / query / target /
// prediction …), the one figure every example writes to show what the model did.
// Contract: rows must all have the same number of tiles; column_titles is empty or one per column,
// row_titles empty or one per row. Every cell has the size of the largest tile (×scale), widened to fit
// the widest column title; smaller tiles are centred in their cell on the white page. A tile with an
// empty image leaves its cell blank (a missing entry). layout_grid gives the exact geometry that
// picture_grid draws, so callers (and tests) can find cells without re-deriving it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/viz/canvas.hpp"
#include "mvg/viz/text.hpp"

namespace mvg::viz {

struct tile {
  enum kind { gray, labels };
  kind type = gray;
  data::image2d<float> image;          // used when type == gray: [0, 1]
  data::image2d<std::uint8_t> label;   // used when type == labels: ids through label_color

  std::size_t rows() const { return type == gray ? image.shape()[0] : label.shape()[0]; }
  std::size_t cols() const { return type == gray ? image.shape()[1] : label.shape()[1]; }
};

inline tile gray_tile(data::image2d<float> img) {
  tile t;
  t.type = tile::gray;
  t.image = std::move(img);
  return t;
}

inline tile label_tile(data::image2d<std::uint8_t> lbl) {
  tile t;
  t.type = tile::labels;
  t.label = std::move(lbl);
  return t;
}

inline constexpr int grid_gap = 4;     // between cells, and between titles and cells
inline constexpr int grid_margin = 6;  // page border

struct grid_layout {
  int rows = 0, cols = 0;
  int scale = 1, text_scale = 1;
  int cell_h = 0, cell_w = 0;  // every cell
  int top = 0, left = 0;       // top-left corner of cell (0, 0)
  int height = 0, width = 0;   // the canvas
  int cell_y(int row) const { return top + row * (cell_h + grid_gap); }
  int cell_x(int col) const { return left + col * (cell_w + grid_gap); }
};

namespace detail {
inline bool any_text(const std::vector<std::string>& v) {
  return std::any_of(v.begin(), v.end(), [](const std::string& s) { return !s.empty(); });
}
}  // namespace detail

inline grid_layout layout_grid(const std::vector<std::string>& column_titles,
                               const std::vector<std::string>& row_titles, const std::vector<std::vector<tile>>& rows,
                               int scale) {
  MVG_CHECK(!rows.empty(), "picture_grid: no rows given");
  MVG_CHECK(!rows[0].empty(), "picture_grid: row 0 has no tiles");
  MVG_CHECK(scale >= 1 && scale <= 64, "picture_grid: scale must be 1..64, got ", scale);
  grid_layout g;
  g.rows = static_cast<int>(rows.size());
  g.cols = static_cast<int>(rows[0].size());
  for (std::size_t r = 0; r < rows.size(); ++r)
    MVG_CHECK(rows[r].size() == rows[0].size(), "picture_grid: row ", r, " has ", rows[r].size(),
              " tiles, expected ", rows[0].size(), " (as row 0)");
  MVG_CHECK(column_titles.empty() || column_titles.size() == rows[0].size(), "picture_grid: ",
            column_titles.size(), " column titles for ", rows[0].size(), " columns (give none or one per column)");
  MVG_CHECK(row_titles.empty() || row_titles.size() == rows.size(), "picture_grid: ", row_titles.size(),
            " row titles for ", rows.size(), " rows (give none or one per row)");
  g.scale = scale;
  // Big tiles get bigger titles, so that the text stays readable next to them.
  g.text_scale = scale >= 3 ? 2 : 1;
  std::size_t max_h = 0, max_w = 0;
  for (const auto& row : rows)
    for (const auto& t : row) max_h = std::max(max_h, t.rows()), max_w = std::max(max_w, t.cols());
  MVG_CHECK(max_h <= std::size_t(data::max_image_side) && max_w <= std::size_t(data::max_image_side),
            "picture_grid: a tile is ", max_h, "×", max_w, ", expected ≤ ", data::max_image_side, " per side");
  const int th = text_height(g.text_scale);
  const bool col_titles = detail::any_text(column_titles), row_titles_on = detail::any_text(row_titles);
  g.cell_h = std::max(1, static_cast<int>(max_h) * scale);
  g.cell_w = std::max(1, static_cast<int>(max_w) * scale);
  for (const auto& s : column_titles) g.cell_w = std::max(g.cell_w, text_width(s, g.text_scale));
  if (row_titles_on) g.cell_h = std::max(g.cell_h, th);
  int title_w = 0;
  for (const auto& s : row_titles) title_w = std::max(title_w, text_width(s, g.text_scale));
  g.left = grid_margin + (row_titles_on ? title_w + grid_gap : 0);
  g.top = grid_margin + (col_titles ? th + grid_gap : 0);
  // 64-bit: a canvas beyond write_png's limit must be an error, not an int overflow.
  const long long w = g.left + static_cast<long long>(g.cols) * (g.cell_w + grid_gap) - grid_gap + grid_margin;
  const long long h = g.top + static_cast<long long>(g.rows) * (g.cell_h + grid_gap) - grid_gap + grid_margin;
  MVG_CHECK(w <= data::max_image_side && h <= data::max_image_side, "picture_grid: the grid would be ", h, "×",
            w, " pixels, expected ≤ ", data::max_image_side, " per side (fewer tiles or a smaller scale)");
  g.width = static_cast<int>(w);
  g.height = static_cast<int>(h);
  return g;
}

inline canvas picture_grid(const std::vector<std::string>& column_titles, const std::vector<std::string>& row_titles,
                           const std::vector<std::vector<tile>>& rows, int scale = 1) {
  const grid_layout g = layout_grid(column_titles, row_titles, rows, scale);
  canvas cv(g.height, g.width, white);
  const int th = text_height(g.text_scale);
  for (int c = 0; c < static_cast<int>(column_titles.size()); ++c) {
    const auto& s = column_titles[static_cast<std::size_t>(c)];
    draw_text(cv, grid_margin, g.cell_x(c) + (g.cell_w - text_width(s, g.text_scale)) / 2, s, black, g.text_scale);
  }
  for (int r = 0; r < static_cast<int>(row_titles.size()); ++r)
    draw_text(cv, g.cell_y(r) + (g.cell_h - th) / 2, grid_margin, row_titles[static_cast<std::size_t>(r)], black,
              g.text_scale);
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      const tile& t = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      const int y = g.cell_y(r) + (g.cell_h - static_cast<int>(t.rows()) * scale) / 2;
      const int x = g.cell_x(c) + (g.cell_w - static_cast<int>(t.cols()) * scale) / 2;
      if (t.type == tile::gray) cv.blit_gray(y, x, t.image, scale);
      else cv.blit_labels(y, x, t.label, scale);
    }
  return cv;
}

}  // namespace mvg::viz
