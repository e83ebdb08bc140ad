// mvg/data/formats/dicom.hpp: Siemens mosaic DICOM (the diffusion MRI of heudiconv's test data, source C) read
// with GDCM (Debian libgdcm-dev), never by hand.
// Contract: read_siemens_mosaic decodes the pixel data with gdcm::ImageReader (any transfer syntax GDCM
// supports), reads NumberOfImagesInMosaic (0019,100A, US) and the b-value (0019,100C, IS) from the
// "SIEMENS MR HEADER" private block, and cuts the mosaic into its tiles: a mosaic of R×C pixels holds
// ceil(√n)² tiles of (R/k)×(C/k), tile i at tile-row i / k, tile-column i % k; the first n tiles are the
// slices. The volume is (slice, row, col) float with the stored values (uint16 → float, no rescale);
// `saturated` counts pixels at the type's maximum (65535), which callers clip before any statistic.
// Every inconsistency (missing tag, non-square tiling, mosaic not divisible) is an mvg::error naming the
// file.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmPrivateTag.h>
#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/formats/dicom_structure.hpp"
#include "mvg/data/formats/file_io.hpp"

namespace mvg::data {

// A mosaic larger than this is refused before its pixel buffer is allocated (hostile headers).
inline constexpr std::uint64_t max_mosaic_pixels = std::uint64_t{1} << 26;
inline constexpr std::uint64_t max_dicom_bytes = std::uint64_t{1} << 30;

struct dicom_mosaic {
  xt::xarray<float> volume;          // (slices, tile rows, tile cols)
  std::size_t images_in_mosaic = 0;  // (0019,100A)
  double b_value = 0;                // (0019,100C)
  std::size_t saturated = 0;         // pixels equal to 65535
  std::size_t mosaic_rows = 0, mosaic_cols = 0;
};

namespace detail {

inline const gdcm::ByteValue* siemens_private(const gdcm::DataSet& ds, std::uint16_t element, const std::string& file,
                                              const char* what) {
  const gdcm::PrivateTag tag(0x0019, element, "SIEMENS MR HEADER");
  MVG_CHECK(ds.FindDataElement(tag), file, ": no ", what, " (0019,10", std::hex, element, ") in the SIEMENS MR HEADER block");
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  MVG_CHECK(bv && bv->GetLength() > 0, file, ": ", what, " is empty");
  return bv;
}

}  // namespace detail

inline dicom_mosaic read_siemens_mosaic(const std::filesystem::path& path) {
  const std::string file = path.string();
  MVG_CHECK(std::filesystem::exists(path), "DICOM file missing: ", file,
            " (run scripts/fetch_data.sh, or point MVG_DATA_DIR at the folder it fills)");
  const auto pm = detail::check_dicom_structure(read_file_bytes(path, max_dicom_bytes), file);
  // Only what a Siemens mosaic is: uncompressed, one 16-bit unsigned grey sample per pixel. Checked
  // here because GDCM asserts (aborts) on some impossible values instead of reporting them, and each
  // compressed syntax would hand hostile bytes to one more decoder.
  MVG_CHECK(pm.syntax == "1.2.840.10008.1.2" || pm.syntax == "1.2.840.10008.1.2.1", file, ": transfer syntax ",
            pm.syntax, ", expected uncompressed little endian (1.2.840.10008.1.2 or .1.2.1) for a mosaic");
  auto expect = [&](long v, long want, const char* name) {
    MVG_CHECK(v == want, file, ": ", name, " is ", v, ", expected ", want, " for a mosaic (-1: missing)");
  };
  expect(pm.samples, 1, "SamplesPerPixel (0028,0002)");
  expect(pm.bits_allocated, 16, "BitsAllocated (0028,0100)");
  expect(pm.pixel_representation, 0, "PixelRepresentation (0028,0103)");
  MVG_CHECK(pm.bits_stored >= 1 && pm.bits_stored <= 16 && pm.high_bit == pm.bits_stored - 1, file,
            ": BitsStored (0028,0101) ", pm.bits_stored, " and HighBit (0028,0102) ", pm.high_bit,
            " do not fit 16-bit pixels");
  MVG_CHECK(pm.photometric == "MONOCHROME2" || pm.photometric == "MONOCHROME1", file,
            ": PhotometricInterpretation (0028,0004) is '", pm.photometric, "', expected MONOCHROME2");
  MVG_CHECK(pm.rows >= 1 && pm.columns >= 1 && std::uint64_t(pm.rows) * std::uint64_t(pm.columns) <= max_mosaic_pixels,
            file, ": Rows×Columns is ", pm.rows, "×", pm.columns, ", expected 1..", max_mosaic_pixels, " pixels");
  MVG_CHECK(pm.pixel_data_length == pm.rows * pm.columns * 2, file, ": pixel data (7FE0,0010) has ",
            pm.pixel_data_length, " bytes, expected Rows·Columns·2 = ", pm.rows * pm.columns * 2);
  gdcm::ImageReader reader;
  reader.SetFileName(file.c_str());
  MVG_CHECK(reader.Read(), file, ": GDCM cannot read it as a DICOM image");
  const gdcm::Image& image = reader.GetImage();
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  MVG_CHECK(image.GetNumberOfDimensions() == 2, file, ": expected a 2-D mosaic, got ", image.GetNumberOfDimensions(),
            " dims");
  const gdcm::PixelFormat pf = image.GetPixelFormat();
  MVG_CHECK(pf.GetSamplesPerPixel() == 1 && pf.GetScalarType() == gdcm::PixelFormat::UINT16, file,
            ": expected one uint16 sample per pixel, got ", pf.GetScalarTypeAsString());
  dicom_mosaic m;
  m.mosaic_cols = image.GetDimension(0), m.mosaic_rows = image.GetDimension(1);
  // Again on GDCM's own reading: the pixel buffer below is sized from it, and a file that repeats a
  // tag can make it differ from the structure walk's.
  MVG_CHECK(m.mosaic_rows >= 1 && m.mosaic_cols >= 1 &&
                std::uint64_t{m.mosaic_rows} * m.mosaic_cols <= max_mosaic_pixels,
            file, ": Rows×Columns is ", m.mosaic_rows, "×", m.mosaic_cols, ", expected 1..", max_mosaic_pixels,
            " pixels");

  // NumberOfImagesInMosaic: US (2 bytes, little endian in every transfer syntax GDCM hands back here).
  const gdcm::ByteValue* n_bv = detail::siemens_private(ds, 0x0a, file, "NumberOfImagesInMosaic");
  MVG_CHECK(n_bv->GetLength() == 2, file, ": NumberOfImagesInMosaic has ", n_bv->GetLength(), " bytes, expected 2 (US)");
  std::uint16_t n = 0;
  std::memcpy(&n, n_bv->GetPointer(), 2);
  m.images_in_mosaic = n;
  // B_value: IS, a decimal string padded with a space.
  const gdcm::ByteValue* b_bv = detail::siemens_private(ds, 0x0c, file, "B_value");
  const std::string b_text(b_bv->GetPointer(), b_bv->GetLength());
  char* end = nullptr;
  m.b_value = std::strtod(b_text.c_str(), &end);
  MVG_CHECK(end != b_text.c_str(), file, ": B_value '", b_text, "' is not a number");

  const auto k = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  MVG_CHECK(n >= 1 && m.mosaic_rows % k == 0 && m.mosaic_cols % k == 0, file, ": a ", m.mosaic_rows, "×",
            m.mosaic_cols, " mosaic does not hold ", n, " tiles on a ", k, "×", k, " grid");
  const std::size_t th = m.mosaic_rows / k, tw = m.mosaic_cols / k;
  std::vector<char> buf(image.GetBufferLength());
  MVG_CHECK(buf.size() == m.mosaic_rows * m.mosaic_cols * 2, file, ": pixel buffer of ", buf.size(),
            " bytes, expected ", m.mosaic_rows * m.mosaic_cols * 2);
  MVG_CHECK(image.GetBuffer(buf.data()), file, ": GDCM cannot decode the pixel data");
  std::vector<std::uint16_t> px(m.mosaic_rows * m.mosaic_cols);
  std::memcpy(px.data(), buf.data(), buf.size());
  m.volume = xt::xarray<float>::from_shape({static_cast<std::size_t>(n), th, tw});
  for (std::size_t s = 0; s < n; ++s) {
    const std::size_t r0 = (s / k) * th, c0 = (s % k) * tw;
    for (std::size_t r = 0; r < th; ++r)
      for (std::size_t c = 0; c < tw; ++c) {
        const std::uint16_t v = px[(r0 + r) * m.mosaic_cols + c0 + c];
        m.saturated += v == 65535;
        m.volume(s, r, c) = static_cast<float>(v);
      }
  }
  return m;
}

}  // namespace mvg::data
