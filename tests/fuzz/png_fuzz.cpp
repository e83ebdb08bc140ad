// Fuzz target: the image path (PNG/JPEG through stb_image behind our size checks). The first byte picks
// the channel conversion (% 5: 0 = the file's own, 1..4) and the reader (/ 5 % 3): bytes, full-depth
// intensities (stb's 16-bit decoder), or class ids.
#include "fuzz_support.hpp"
#include "mvg/data/formats/image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int channels = data[0] % 5, reader = data[0] / 5 % 3;
  mvg_fuzz::with_file(data + 1, size - 1, ".png", [&](const auto& p) {
    if (reader == 0) (void)mvg::data::read_image_u8(p, channels);
    else if (reader == 1) (void)mvg::data::read_image(p, channels);
    else (void)mvg::data::read_label_image(p);
  });
  return 0;
}
