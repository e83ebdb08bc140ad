// mvg/data/formats/nifti.hpp: NIfTI-1 single-file volumes (.nii, .nii.gz), read and write.
// Contract (read): the 348-byte header is validated before any voxel is allocated: sizeof_hdr 348
// (little-endian; a byte-swapped file is refused), magic "n+1", 1 ≤ dim[0] ≤ 7, every used dim ≥ 1,
// at most max_nifti_voxels voxels, a supported datatype whose bitpix agrees, an integral vox_offset
// ≥ 352 that the file really reaches, and enough voxel bytes after it. Voxels are read from vox_offset
// (extensions are skipped, never assumed 352 bytes long) and returned as float in NIfTI axis order
// data(i, j, k, ...), scaled by scl_slope/scl_inter unless the slope is 0 or NaN (= no scaling).
// The affine maps (i, j, k) to mm: sform when sform_code > 0, else qform, else the pixdim diagonal.
// Every failure is an mvg::error naming the file and the header field.
// Contract (write): float32, uint8 or int16 voxels, gzip when the name ends in ".gz", written
// atomically; integer outputs must hold integral values in range. Geometry: either an affine (sform
// code 2, no qform) or a `nifti_geometry` read from another file, copied field for field (pixdim,
// qform and sform with their codes, xyzt_units), so that a label written for a scan overlays it in
// every viewer exactly as the scan's own header says.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/formats/file_io.hpp"

namespace mvg::data {

// 2^28 voxels (1 GiB as float): far above any scan here, far below what would exhaust memory.
inline constexpr std::uint64_t max_nifti_voxels = std::uint64_t{1} << 28;

enum class nifti_dtype : std::int16_t {
  uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64, int8 = 256, uint16 = 512, uint32 = 768
};

using affine_matrix = std::array<std::array<double, 4>, 4>;

inline affine_matrix identity_affine() {
  affine_matrix a{};
  for (int i = 0; i < 4; ++i) a[i][i] = 1.0;
  return a;
}

// The header fields that place voxels in the world, as stored (nothing derived, nothing rounded).
struct nifti_geometry {
  std::array<float, 8> pixdim{1, 1, 1, 1, 1, 1, 1, 1};  // pixdim[0] is qfac
  std::int16_t qform_code = 0, sform_code = 0;
  std::array<float, 6> quatern{};  // quatern_b, c, d, qoffset_x, y, z
  std::array<std::array<float, 4>, 3> srow{};
  std::uint8_t xyzt_units = 0;
  bool operator==(const nifti_geometry&) const = default;
};

struct nifti_image {
  xt::xarray<float> data;        // shape (dim[1], ..., dim[dim[0]]); data(i, j, k) as in the file
  std::vector<double> spacing;   // pixdim[1..dim[0]] (mm for spatial axes)
  affine_matrix affine = identity_affine();  // voxel index -> world mm (RAS+, NIfTI convention)
  int sform_code = 0, qform_code = 0;
  nifti_dtype dtype = nifti_dtype::float32;  // storage type on disk
  std::string description;
  nifti_geometry geometry;                  // the raw fields the affine came from
};

namespace detail {

inline int nifti_bitpix(nifti_dtype t) {
  switch (t) {
    case nifti_dtype::uint8: case nifti_dtype::int8: return 8;
    case nifti_dtype::int16: case nifti_dtype::uint16: return 16;
    case nifti_dtype::int32: case nifti_dtype::uint32: case nifti_dtype::float32: return 32;
    case nifti_dtype::float64: return 64;
  }
  return 0;
}

template <class T>
void nifti_convert(const std::uint8_t* raw, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_le<T>(raw + i * sizeof(T)));
}

// The qform quaternion (b, c, d; a derived) with qfac and offsets, as nifti1_io's quatern_to_mat44.
inline affine_matrix nifti_qform(const std::uint8_t* h, const std::string& name) {
  const double b = load_le<float>(h + 256), c = load_le<float>(h + 260), d = load_le<float>(h + 264);
  const double qx = load_le<float>(h + 268), qy = load_le<float>(h + 272), qz = load_le<float>(h + 276);
  double dx = load_le<float>(h + 80), dy = load_le<float>(h + 84), dz = load_le<float>(h + 88);
  const double qfac = load_le<float>(h + 76) < 0 ? -1.0 : 1.0;
  double a = 1.0 - (b * b + c * c + d * d);
  MVG_CHECK(std::isfinite(a) && a > -1e-4, name, ": header field quatern_b/c/d is not a unit quaternion");
  a = a < 1e-7 ? 0.0 : std::sqrt(a);
  dx = dx > 0 ? dx : 1.0, dy = dy > 0 ? dy : 1.0, dz = (dz > 0 ? dz : 1.0) * qfac;
  affine_matrix m = identity_affine();
  const double r[3][3] = {{a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c},
                          {2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b},
                          {2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b}};
  const double s[3] = {dx, dy, dz};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) m[i][j] = r[i][j] * s[j];
  m[0][3] = qx, m[1][3] = qy, m[2][3] = qz;
  return m;
}

}  // namespace detail

inline nifti_image read_nifti(const std::filesystem::path& path) {
  const std::string name = path.string();
  gz_reader in(path);
  std::uint8_t h[348];
  const std::size_t got = in.read_some(h, sizeof h);
  MVG_CHECK(got == sizeof h, name, ": not a NIfTI-1 file: header needs 348 bytes, file has ", got);

  const std::int32_t sizeof_hdr = load_le<std::int32_t>(h);
  MVG_CHECK(sizeof_hdr != 0x5C010000, name, ": header field sizeof_hdr says big-endian; only little-endian NIfTI-1 is supported");
  MVG_CHECK(sizeof_hdr == 348, name, ": header field sizeof_hdr is ", sizeof_hdr, ", expected 348 (not NIfTI-1)");
  MVG_CHECK(std::memcmp(h + 344, "n+1\0", 4) == 0, name, ": header field magic is not \"n+1\" ",
            std::memcmp(h + 344, "ni1\0", 4) == 0 ? "(a .hdr/.img pair is not supported)" : "(not a single-file NIfTI-1)");

  nifti_image img;
  const int ndim = load_le<std::int16_t>(h + 40);
  MVG_CHECK(ndim >= 1 && ndim <= 7, name, ": header field dim[0] is ", ndim, ", expected 1..7");
  std::vector<std::size_t> shape;
  std::uint64_t voxels = 1;
  for (int d = 1; d <= ndim; ++d) {
    const int n = load_le<std::int16_t>(h + 40 + 2 * d);
    MVG_CHECK(n >= 1, name, ": header field dim[", d, "] is ", n, ", expected ≥ 1");
    voxels *= static_cast<std::uint64_t>(n);
    MVG_CHECK(voxels <= max_nifti_voxels, name, ": header field dim describes more than ", max_nifti_voxels,
              " voxels (limit of this reader)");
    shape.push_back(static_cast<std::size_t>(n));
  }
  const std::int16_t dt = load_le<std::int16_t>(h + 70);
  const std::int16_t bitpix = load_le<std::int16_t>(h + 72);
  img.dtype = static_cast<nifti_dtype>(dt);
  const int want_bits = detail::nifti_bitpix(img.dtype);
  MVG_CHECK(want_bits != 0, name, ": header field datatype is ", dt,
            ", expected one of uint8(2) int8(256) int16(4) uint16(512) int32(8) uint32(768) float32(16) float64(64)");
  MVG_CHECK(bitpix == want_bits, name, ": header field bitpix is ", bitpix, ", expected ", want_bits,
            " for datatype ", dt);

  const float vox_offset = load_le<float>(h + 108);
  MVG_CHECK(std::isfinite(vox_offset) && vox_offset >= 352.0f && vox_offset == std::floor(vox_offset) &&
                vox_offset < static_cast<float>(max_file_bytes),
            name, ": header field vox_offset is ", vox_offset, ", expected an integer ≥ 352");

  for (int d = 1; d <= ndim; ++d) {
    const float p = load_le<float>(h + 76 + 4 * d);
    img.spacing.push_back(std::isfinite(p) && p > 0 ? p : 1.0);
  }
  float slope = load_le<float>(h + 112), inter = load_le<float>(h + 116);
  const bool scaled = std::isfinite(slope) && slope != 0.0f && !(slope == 1.0f && inter == 0.0f);
  if (!std::isfinite(inter)) inter = 0.0f;

  img.qform_code = load_le<std::int16_t>(h + 252);
  img.sform_code = load_le<std::int16_t>(h + 254);
  auto& geo = img.geometry;
  for (int d = 0; d < 8; ++d) geo.pixdim[d] = load_le<float>(h + 76 + 4 * d);
  geo.qform_code = static_cast<std::int16_t>(img.qform_code), geo.sform_code = static_cast<std::int16_t>(img.sform_code);
  for (int i = 0; i < 6; ++i) geo.quatern[i] = load_le<float>(h + 256 + 4 * i);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) geo.srow[r][c] = load_le<float>(h + 280 + 16 * r + 4 * c);
  geo.xyzt_units = h[123];
  if (img.sform_code > 0) {
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) {
        img.affine[r][c] = load_le<float>(h + 280 + 16 * r + 4 * c);
        MVG_CHECK(std::isfinite(img.affine[r][c]), name, ": header field srow_", "xyz"[r], " is not finite");
      }
  } else if (img.qform_code > 0) {
    img.affine = detail::nifti_qform(h, name);
  } else {
    for (int d = 0; d < 3 && d < ndim; ++d) img.affine[d][d] = img.spacing[d];
  }
  img.description.assign(reinterpret_cast<const char*>(h + 148), strnlen(reinterpret_cast<const char*>(h + 148), 80));

  // Extensions (or padding) lie between the header and vox_offset.
  in.skip(static_cast<std::uint64_t>(vox_offset) - 348, "the extension bytes before vox_offset");
  const std::size_t bytes = static_cast<std::size_t>(voxels) * static_cast<std::size_t>(want_bits / 8);
  // Grow with what the file really holds, so a header that lies about dim costs no big allocation.
  std::vector<std::uint8_t> raw;
  while (raw.size() < bytes) {
    const std::size_t old = raw.size(), step = std::min<std::size_t>(bytes - old, std::max<std::size_t>(old, 1 << 20));
    raw.resize(old + step);
    const std::size_t n = in.read_some(raw.data() + old, step);
    MVG_CHECK(n == step, name, ": file is truncated in the voxel data: header field dim/bitpix need ", bytes,
              " bytes after vox_offset ", vox_offset, ", file has ", old + n);
  }
  // The file is column-major (i fastest); convert into a column-major buffer, then to row-major.
  std::vector<float> flat(voxels);
  switch (img.dtype) {
    case nifti_dtype::uint8: detail::nifti_convert<std::uint8_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::int8: detail::nifti_convert<std::int8_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::int16: detail::nifti_convert<std::int16_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::uint16: detail::nifti_convert<std::uint16_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::int32: detail::nifti_convert<std::int32_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::uint32: detail::nifti_convert<std::uint32_t>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::float32: detail::nifti_convert<float>(raw.data(), flat.data(), voxels); break;
    case nifti_dtype::float64: detail::nifti_convert<double>(raw.data(), flat.data(), voxels); break;
  }
  raw = {};
  if (scaled)
    for (auto& v : flat) v = v * slope + inter;
  xt::xarray<float, xt::layout_type::column_major> col = xt::xarray<float, xt::layout_type::column_major>::from_shape(shape);
  std::copy(flat.begin(), flat.end(), col.data());
  flat = {};
  img.data = col;
  return img;
}

// The geometry write_nifti gives an affine: sform code 2 ("aligned to another file"), no qform.
inline nifti_geometry geometry_of_affine(const affine_matrix& affine) {
  nifti_geometry g;
  for (int d = 0; d < 3; ++d) {
    const double len = std::sqrt(affine[0][d] * affine[0][d] + affine[1][d] * affine[1][d] + affine[2][d] * affine[2][d]);
    g.pixdim[1 + d] = static_cast<float>(len > 0 ? len : 1.0);
  }
  g.sform_code = 2;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) g.srow[r][c] = static_cast<float>(affine[r][c]);
  g.xyzt_units = 2 | 8;  // mm, s
  return g;
}

// Writes `data` (NIfTI axis order, 1..7 dims) with the given header geometry; see the header contract.
inline void write_nifti(const std::filesystem::path& path, const xt::xarray<float>& data, const nifti_geometry& geo,
                        nifti_dtype dtype = nifti_dtype::float32) {
  const std::string name = path.string();
  MVG_CHECK(data.dimension() >= 1 && data.dimension() <= 7, name, ": write_nifti needs 1..7 dims, got ",
            data.dimension());
  MVG_CHECK(dtype == nifti_dtype::float32 || dtype == nifti_dtype::uint8 || dtype == nifti_dtype::int16, name,
            ": write_nifti supports float32, uint8 and int16 voxels");
  for (auto n : data.shape())
    MVG_CHECK(n >= 1 && n <= 32767, name, ": write_nifti: every dim must be in 1..32767, got ", n);
  const int bits = detail::nifti_bitpix(dtype);
  const std::size_t n = data.size(), bpv = static_cast<std::size_t>(bits / 8);
  std::vector<std::uint8_t> bytes(352 + n * bpv, 0);
  std::uint8_t* h = bytes.data();
  store_le<std::int32_t>(h, 348);
  store_le<std::int16_t>(h + 40, static_cast<std::int16_t>(data.dimension()));
  for (std::size_t d = 0; d < 7; ++d)
    store_le<std::int16_t>(h + 42 + 2 * d, static_cast<std::int16_t>(d < data.dimension() ? data.shape()[d] : 1));
  store_le<std::int16_t>(h + 70, static_cast<std::int16_t>(dtype));
  store_le<std::int16_t>(h + 72, static_cast<std::int16_t>(bits));
  for (int d = 0; d < 8; ++d) store_le<float>(h + 76 + 4 * d, geo.pixdim[d]);
  store_le<float>(h + 108, 352.0f);
  store_le<float>(h + 112, 1.0f);  // scl_slope
  h[123] = geo.xyzt_units;
  store_le<std::int16_t>(h + 252, geo.qform_code);
  store_le<std::int16_t>(h + 254, geo.sform_code);
  for (int i = 0; i < 6; ++i) store_le<float>(h + 256 + 4 * i, geo.quatern[i]);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) store_le<float>(h + 280 + 16 * r + 4 * c, geo.srow[r][c]);
  std::memcpy(h + 148, "mvg", 3);
  std::memcpy(h + 344, "n+1\0", 4);

  // The file is column-major: walk the row-major array with the first index fastest.
  const xt::xarray<float, xt::layout_type::column_major> col = data;
  std::uint8_t* out = h + 352;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = col.data()[i];
    if (dtype == nifti_dtype::float32) {
      store_le<float>(out + 4 * i, v);
      continue;
    }
    const double lo = dtype == nifti_dtype::uint8 ? 0.0 : -32768.0, hi = dtype == nifti_dtype::uint8 ? 255.0 : 32767.0;
    MVG_CHECK(std::isfinite(v) && v == std::nearbyint(v) && v >= lo && v <= hi, name,
              ": write_nifti: voxel ", i, " = ", v, " is not an integer in [", lo, ", ", hi, "] for the chosen dtype");
    if (dtype == nifti_dtype::uint8) out[i] = static_cast<std::uint8_t>(v);
    else store_le<std::int16_t>(out + 2 * i, static_cast<std::int16_t>(v));
  }
  const bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  if (gz) io::write_file_atomically(path.string(), gzip_bytes(bytes, name));
  else io::write_file_atomically(path.string(), bytes);
}

// Writes `data` with an affine (sform code 2); see the header contract.
inline void write_nifti(const std::filesystem::path& path, const xt::xarray<float>& data,
                        const affine_matrix& affine = identity_affine(),
                        nifti_dtype dtype = nifti_dtype::float32) {
  write_nifti(path, data, geometry_of_affine(affine), dtype);
}

// Where two affines place voxels differently (row, column of the first element apart by more than
// tol relative to its size, at least 1e-3 mm), or {-1, -1}: volumes on the same grid.
inline std::pair<int, int> affine_difference(const affine_matrix& a, const affine_matrix& b, double tol = 1e-3) {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      if (!(std::abs(a[r][c] - b[r][c]) <= tol * std::max(1.0, std::abs(b[r][c])))) return {r, c};
  return {-1, -1};
}

// Voxel spacing from an affine: the length of each column.
inline std::array<double, 3> affine_spacing(const affine_matrix& a) {
  std::array<double, 3> s{};
  for (int d = 0; d < 3; ++d) s[d] = std::sqrt(a[0][d] * a[0][d] + a[1][d] * a[1][d] + a[2][d] * a[2][d]);
  return s;
}

}  // namespace mvg::data
