// Fuzz target: the InVesalius .inv3 reader (gzip → tar → XML plists + raw volumes). The first byte
// picks 0: the rest gzip-compressed (the fuzzer mutates the tar and plists), 1: the rest as the file.
#include "fuzz_support.hpp"
#include "mvg/data/formats/inv3.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  auto read = [](const auto& p) { (void)mvg::data::read_inv3(p); };
  if (data[0] % 2 == 0) {
    const auto gz = mvg::data::gzip_bytes(rest, "fuzz");
    mvg_fuzz::with_file(gz.data(), gz.size(), ".inv3", read);
  } else {
    mvg_fuzz::with_file(rest.data(), rest.size(), ".inv3", read);
  }
  return 0;
}
