// Fuzz target: the DICOM path (Siemens mosaic through GDCM, then our tag and tiling checks).
#include "fuzz_support.hpp"
#include "mvg/data/formats/dicom.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mvg_fuzz::with_file(data, size, ".dcm", [](const auto& p) { (void)mvg::data::read_siemens_mosaic(p); });
  return 0;
}
