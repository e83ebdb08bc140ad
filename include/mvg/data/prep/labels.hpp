// mvg/data/prep/labels.hpp: operations on label volumes: 3-D connected components, largest component,
// hole filling, and the "index name code" label tables that ship beside atlases (aal.nii.txt).
// Contract: components use 6-connectivity (faces; scipy.ndimage.label's default), so the counts in
// shared/DATA.md (ch2bet > 0: 99 components) are reproduced. Masks are uint8 0/1 in (a, b, c) order.
// fill_holes_2d fills, slice by slice along an axis, background not 4-connected to the slice border.
#pragma once
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"

namespace mvg::data {

using mask3d = xt::xarray<std::uint8_t>;

struct components {
  xt::xarray<std::int32_t> labels;  // 0 = background, 1..count
  std::vector<std::size_t> sizes;   // sizes[i] = voxels of component i + 1
};

inline components connected_components(const mask3d& m) {
  MVG_CHECK(m.dimension() == 3, "connected_components: expected a 3-D mask, got ", m.dimension(), " dims");
  const auto s = m.shape();
  const std::size_t n = m.size(), st[3] = {s[1] * s[2], s[2], 1};
  components out;
  out.labels = xt::xarray<std::int32_t>::from_shape(s);
  std::fill(out.labels.begin(), out.labels.end(), 0);
  std::int32_t* lab = out.labels.data();
  const std::uint8_t* in = m.data();
  std::vector<std::size_t> stack;
  for (std::size_t seed = 0; seed < n; ++seed) {
    if (!in[seed] || lab[seed]) continue;
    const auto id = static_cast<std::int32_t>(out.sizes.size() + 1);
    std::size_t size = 0;
    lab[seed] = id;
    stack.push_back(seed);
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      ++size;
      const std::size_t c[3] = {v / st[0], (v / st[1]) % s[1], v % s[2]};
      for (int a = 0; a < 3; ++a) {
        if (c[a] > 0 && in[v - st[a]] && !lab[v - st[a]]) lab[v - st[a]] = id, stack.push_back(v - st[a]);
        if (c[a] + 1 < s[a] && in[v + st[a]] && !lab[v + st[a]]) lab[v + st[a]] = id, stack.push_back(v + st[a]);
      }
    }
    out.sizes.push_back(size);
  }
  return out;
}

// The largest 6-connected component (empty mask in, empty mask out).
inline mask3d largest_component(const mask3d& m) {
  const components cc = connected_components(m);
  mask3d out = mask3d::from_shape(m.shape());
  std::fill(out.begin(), out.end(), 0);
  if (cc.sizes.empty()) return out;
  const auto best = static_cast<std::int32_t>(
      std::max_element(cc.sizes.begin(), cc.sizes.end()) - cc.sizes.begin() + 1);
  for (std::size_t i = 0; i < m.size(); ++i) out.data()[i] = cc.labels.data()[i] == best;
  return out;
}

// Fills holes in every slice along `axis`: background that no 4-connected path links to the border.
inline mask3d fill_holes_2d(const mask3d& m, std::size_t axis) {
  MVG_CHECK(m.dimension() == 3 && axis < 3, "fill_holes_2d: expected a 3-D mask and axis 0..2");
  const auto s = m.shape();
  const std::size_t st[3] = {s[1] * s[2], s[2], 1};
  const std::size_t a = axis == 0 ? 1 : 0, b = axis == 2 ? 1 : 2;
  mask3d out = m;
  std::vector<std::uint8_t> outside(s[a] * s[b]);
  std::vector<std::size_t> stack;
  for (std::size_t k = 0; k < s[axis]; ++k) {
    auto at = [&](std::size_t r, std::size_t c) { return m.data()[k * st[axis] + r * st[a] + c * st[b]]; };
    std::fill(outside.begin(), outside.end(), 0);
    auto push = [&](std::size_t r, std::size_t c) {
      if (!at(r, c) && !outside[r * s[b] + c]) outside[r * s[b] + c] = 1, stack.push_back(r * s[b] + c);
    };
    for (std::size_t r = 0; r < s[a]; ++r) push(r, 0), push(r, s[b] - 1);
    for (std::size_t c = 0; c < s[b]; ++c) push(0, c), push(s[a] - 1, c);
    while (!stack.empty()) {
      const std::size_t v = stack.back(), r = v / s[b], c = v % s[b];
      stack.pop_back();
      if (r > 0) push(r - 1, c);
      if (r + 1 < s[a]) push(r + 1, c);
      if (c > 0) push(r, c - 1);
      if (c + 1 < s[b]) push(r, c + 1);
    }
    for (std::size_t r = 0; r < s[a]; ++r)
      for (std::size_t c = 0; c < s[b]; ++c)
        if (!outside[r * s[b] + c]) out.data()[k * st[axis] + r * st[a] + c * st[b]] = 1;
  }
  return out;
}

struct label_entry {
  int index = 0;     // value stored in the label volume
  std::string name;
  int code = 0;      // third column (AAL: 2001..9170, lobe = code / 1000)
};

// Reads "index name code" lines (blank lines and '#' comments skipped).
inline std::vector<label_entry> read_label_table(const std::filesystem::path& path) {
  std::ifstream in(path);
  MVG_CHECK(in.good(), path.string(), ": cannot open label table");
  std::vector<label_entry> out;
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ls(line);
    label_entry e;
    MVG_CHECK(static_cast<bool>(ls >> e.index >> e.name >> e.code), path.string(), ": line ", no,
              ": expected 'index name code'");
    MVG_CHECK(e.index > 0 && e.index < 65536, path.string(), ": line ", no, ": field index ", e.index,
              " is outside 1..65535");
    out.push_back(std::move(e));
  }
  MVG_CHECK(!out.empty(), path.string(), ": label table is empty");
  return out;
}

}  // namespace mvg::data
