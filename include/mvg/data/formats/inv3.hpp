// mvg/data/formats/inv3.hpp: InVesalius 3 project files (.inv3): gzip → tar → main.plist + raw arrays.
// Contract: main.plist gives matrix dtype (int16, uint8, uint16 or float32), shape (z, y, x) and
// spacing (x, y, z mm); matrix.dat must hold exactly shape × itemsize little-endian bytes. Each mask
// named in main.plist's "masks" dict is read from its own plist + .dat: uint8 of shape (z+1, y+1, x+1)
// whose extra leading index on each axis (InVesalius' bookkeeping row) is dropped, so masks align
// with the matrix voxel for voxel; a voxel is inside when its byte is > 127 (InVesalius writes 255).
// Shapes above max_inv3_voxels are refused before allocation. Errors name the archive and the member.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/formats/file_io.hpp"
#include "mvg/data/formats/plist.hpp"
#include "mvg/data/formats/tar.hpp"

namespace mvg::data {

inline constexpr std::uint64_t max_inv3_voxels = std::uint64_t{1} << 28;
// An uncompressed project larger than this (1 GiB) is refused while inflating.
inline constexpr std::uint64_t max_inv3_bytes = std::uint64_t{1} << 30;

struct inv3_mask {
  std::string name;
  std::array<double, 2> threshold_range{};  // HU range InVesalius thresholded (informative)
  xt::xarray<std::uint8_t> data;             // (z, y, x), 1 inside, 0 outside
};

struct inv3_project {
  std::string modality;
  xt::xarray<float> matrix;                  // (z, y, x), the stored values (HU for CT)
  std::array<double, 3> spacing{};           // mm along x, y, z (as main.plist lists it)
  std::vector<inv3_mask> masks;              // in the order of their index in main.plist
};

namespace detail {

inline std::array<std::size_t, 3> inv3_shape(const plist_value& arr, const std::string& doc, const char* key) {
  MVG_CHECK(arr.array.size() == 3, doc, ": key '", key, "' has ", arr.array.size(), " entries, expected 3 (z, y, x)");
  std::array<std::size_t, 3> s{};
  std::uint64_t total = 1;
  for (int i = 0; i < 3; ++i) {
    const auto& e = arr.array[i];
    MVG_CHECK(e.type == plist_value::kind::integer && e.integer >= 1 && e.integer <= 65536, doc, ": key '", key,
              "' entry ", i, " must be an integer in 1..65536");
    s[i] = static_cast<std::size_t>(e.integer);
    total *= s[i];
  }
  MVG_CHECK(total <= max_inv3_voxels, doc, ": key '", key, "' describes ", total, " voxels, above the limit ",
            max_inv3_voxels);
  return s;
}

inline const tar_entry& inv3_member(const std::vector<tar_entry>& entries, const std::string& leaf,
                                    const std::string& archive) {
  MVG_CHECK(leaf.find('/') == std::string::npos && leaf.find("..") == std::string::npos, archive,
            ": member name '", leaf, "' is not a plain file name");
  const tar_entry* e = find_tar_member(entries, leaf);
  MVG_CHECK(e != nullptr, archive, ": member '", leaf, "' is missing from the archive");
  return *e;
}

}  // namespace detail

inline inv3_project read_inv3(const std::filesystem::path& path) {
  const std::string archive = path.string();
  const std::vector<std::uint8_t> bytes = read_file_bytes(path, max_inv3_bytes);
  const std::vector<tar_entry> entries = list_tar(bytes, archive);
  const tar_entry& main = detail::inv3_member(entries, "main.plist", archive);
  const std::string main_doc = archive + ":" + main.name;
  const plist_value root = parse_plist(
      std::string_view(reinterpret_cast<const char*>(main.bytes.data()), main.bytes.size()), main_doc);

  using k = plist_value::kind;
  inv3_project p;
  if (const plist_value* m = root.find("modality"); m && m->type == k::string) p.modality = m->string;
  const plist_value& mat = plist_get(root, "matrix", k::dict, main_doc);
  const std::string dtype = plist_get(mat, "dtype", k::string, main_doc).string;
  const auto shape = detail::inv3_shape(plist_get(mat, "shape", k::array, main_doc), main_doc, "matrix/shape");
  const plist_value& spacing = plist_get(root, "spacing", k::array, main_doc);
  MVG_CHECK(spacing.array.size() == 3, main_doc, ": key 'spacing' needs 3 entries");
  for (int i = 0; i < 3; ++i) {
    const auto& e = spacing.array[i];
    MVG_CHECK(e.is_number() && std::isfinite(e.number()) && e.number() > 0, main_doc, ": key 'spacing' entry ", i,
              " must be a positive number");
    p.spacing[i] = e.number();
  }

  const std::size_t n = shape[0] * shape[1] * shape[2];
  std::size_t item = 0;
  if (dtype == "int16" || dtype == "uint16") item = 2;
  else if (dtype == "uint8") item = 1;
  else if (dtype == "float32") item = 4;
  MVG_CHECK(item != 0, main_doc, ": key 'matrix/dtype' is '", dtype, "', expected int16, uint16, uint8 or float32");
  const std::string matrix_file = plist_get(mat, "filename", k::string, main_doc).string;
  const tar_entry& raw = detail::inv3_member(entries, matrix_file, archive);
  MVG_CHECK(raw.bytes.size() == n * item, archive, ": member '", raw.name, "' has ", raw.bytes.size(),
            " bytes but matrix/shape × dtype needs ", n * item);
  p.matrix = xt::xarray<float>::from_shape({shape[0], shape[1], shape[2]});
  float* out = p.matrix.data();
  const std::uint8_t* src = raw.bytes.data();
  for (std::size_t i = 0; i < n; ++i) {
    if (dtype == "int16") out[i] = load_le<std::int16_t>(src + 2 * i);
    else if (dtype == "uint16") out[i] = load_le<std::uint16_t>(src + 2 * i);
    else if (dtype == "uint8") out[i] = src[i];
    else out[i] = load_le<float>(src + 4 * i);
  }

  if (const plist_value* masks = root.find("masks")) {
    MVG_CHECK(masks->type == k::dict, main_doc, ": key 'masks' must be a dict");
    for (const auto& [index, file] : masks->dict) {
      MVG_CHECK(file.type == k::string, main_doc, ": key 'masks/", index, "' must name a plist");
      const tar_entry& mp = detail::inv3_member(entries, file.string, archive);
      const std::string doc = archive + ":" + mp.name;
      const plist_value mroot =
          parse_plist(std::string_view(reinterpret_cast<const char*>(mp.bytes.data()), mp.bytes.size()), doc);
      inv3_mask m;
      if (const plist_value* nm = mroot.find("name"); nm && nm->type == k::string) m.name = nm->string;
      if (const plist_value* tr = mroot.find("threshold_range"); tr && tr->type == k::array && tr->array.size() == 2)
        m.threshold_range = {tr->array[0].number(), tr->array[1].number()};
      const auto mshape = detail::inv3_shape(plist_get(mroot, "mask_shape", k::array, doc), doc, "mask_shape");
      for (int a = 0; a < 3; ++a)
        MVG_CHECK(mshape[a] == shape[a] + 1, doc, ": key 'mask_shape' entry ", a, " is ", mshape[a],
                  ", expected matrix shape + 1 = ", shape[a] + 1);
      const tar_entry& md = detail::inv3_member(entries, plist_get(mroot, "mask_file", k::string, doc).string, archive);
      const std::size_t mn = mshape[0] * mshape[1] * mshape[2];
      MVG_CHECK(md.bytes.size() == mn, archive, ": member '", md.name, "' has ", md.bytes.size(),
                " bytes but mask_shape needs ", mn);
      m.data = xt::xarray<std::uint8_t>::from_shape({shape[0], shape[1], shape[2]});
      std::uint8_t* mo = m.data.data();
      for (std::size_t z = 0; z < shape[0]; ++z)
        for (std::size_t y = 0; y < shape[1]; ++y) {
          const std::uint8_t* row = md.bytes.data() + ((z + 1) * mshape[1] + (y + 1)) * mshape[2] + 1;
          std::uint8_t* dst = mo + (z * shape[1] + y) * shape[2];
          for (std::size_t x = 0; x < shape[2]; ++x) dst[x] = row[x] > 127 ? 1 : 0;
        }
      p.masks.push_back(std::move(m));
    }
  }
  return p;
}

}  // namespace mvg::data
