// Fuzz target: the image path (PNG/JPEG through stb_image behind our size checks). The first byte picks
// the channel conversion (0 = the file's own, 1..4).
#include "fuzz_support.hpp"
#include "mvg/data/formats/image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int channels = data[0] % 5;
  mvg_fuzz::with_file(data + 1, size - 1, ".png", [&](const auto& p) { (void)mvg::data::read_image_u8(p, channels); });
  return 0;
}
