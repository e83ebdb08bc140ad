// A minimal PNG encoder for the image reader's tests: stb_image_write writes 8-bit files only, and
// the reader must be shown 16-bit ones. Grey (colour type 0) or RGB (2), 8 or 16 bits, filter 0 on
// every row, one IDAT chunk compressed by zlib.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mvg_test::png {

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

inline void put_chunk(std::vector<std::uint8_t>& out, const char* type, const std::vector<std::uint8_t>& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, static_cast<std::uint32_t>(::crc32(0, out.data() + start, static_cast<uInt>(out.size() - start))));
}

// samples: height × width × channels values, row-major, each < 2^bits; channels 1 (grey) or 3 (RGB).
inline std::vector<std::uint8_t> encode(std::uint32_t width, std::uint32_t height, int channels, int bits,
                                        const std::vector<std::uint16_t>& samples) {
  if ((channels != 1 && channels != 3) || (bits != 8 && bits != 16) ||
      samples.size() != std::size_t(width) * height * std::size_t(channels))
    throw std::invalid_argument("png::encode: unsupported layout or wrong sample count");
  std::vector<std::uint8_t> raw;
  for (std::uint32_t r = 0; r < height; ++r) {
    raw.push_back(0);  // filter type None
    for (std::size_t i = 0; i < std::size_t(width) * std::size_t(channels); ++i) {
      const std::uint16_t v = samples[r * std::size_t(width) * std::size_t(channels) + i];
      if (bits == 16) raw.push_back(static_cast<std::uint8_t>(v >> 8));  // PNG samples are big-endian
      raw.push_back(static_cast<std::uint8_t>(v & 0xff));
    }
  }
  uLongf packed_size = ::compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> packed(packed_size);
  if (::compress(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size())) != Z_OK)
    throw std::runtime_error("png::encode: zlib compress failed");
  packed.resize(packed_size);

  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<std::uint8_t> ihdr;
  put_u32(ihdr, width), put_u32(ihdr, height);
  ihdr.insert(ihdr.end(), {static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(channels == 1 ? 0 : 2), 0, 0, 0});
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", packed);
  put_chunk(out, "IEND", {});
  return out;
}

}  // namespace mvg_test::png
