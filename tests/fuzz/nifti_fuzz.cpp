// Fuzz target: the NIfTI-1 reader. The first byte picks the path: 0 plain .nii; 1 the rest gzip-
// compressed into a .nii.gz (the fuzzer mutates the header and voxels, the stream stays valid); 2 the
// rest as a raw .nii.gz (mutated gzip streams).
#include "fuzz_support.hpp"
#include "mvg/data/formats/nifti.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  auto read = [](const auto& p) { (void)mvg::data::read_nifti(p); };
  if (mode == 1) {
    const auto gz = mvg::data::gzip_bytes(rest, "fuzz");
    mvg_fuzz::with_file(gz.data(), gz.size(), ".nii.gz", read);
  } else {
    mvg_fuzz::with_file(rest.data(), rest.size(), mode == 0 ? ".nii" : ".nii.gz", read);
  }
  return 0;
}
