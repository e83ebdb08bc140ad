// mvg/data/formats/image_io.hpp: PNG and JPEG read through stb_image, PNG write through stb_image_write.
// Contract: only PNG and JPEG are read (by signature; stb's other formats are refused: each is more
// parser for hostile bytes to reach, and medical pictures come as PNG/JPEG). read_image returns (height, width, channels) floats in [0, 1] (8-bit sources; 16-bit PNGs
// are reduced to 8 bits by stb). The file is read with a size limit, its dimensions are checked
// (≤ max_image_side per side, ≤ max_image_pixels) before stb decodes it, and a file stb cannot decode
// is an mvg::error naming the file and stb's reason. write_png takes (h, w) or (h, w, c ∈ {1,2,3,4})
// values in [0, 1] (clamped) or uint8, and writes atomically.
// stb is linked, not compiled in: Debian's libstb-dev ships the implementation as libstb.so (see
// docs/data.md), so this header declares nothing with STB_*_IMPLEMENTATION.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <xtensor/xtensor.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/formats/file_io.hpp"

namespace mvg::data {

inline constexpr int max_image_side = 1 << 14;
inline constexpr std::uint64_t max_image_pixels = std::uint64_t{1} << 26;

namespace detail {
// stb_image grows its compressed-data buffer to each IDAT chunk's declared length before reading it,
// so a 100-byte PNG claiming a 2 GB chunk cost 2 GB (found by tests/fuzz). Every chunk's length must
// fit in the bytes that follow it (PNG: 4-byte big-endian length, 4-byte type, data, 4-byte CRC).
inline void check_png_chunks(const std::vector<std::uint8_t>& b, const std::string& name) {
  std::size_t at = 8;
  while (at < b.size()) {
    MVG_CHECK(b.size() - at >= 12, name, ": PNG chunk header at byte ", at, " is truncated");
    const std::uint32_t length = std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 |
                                 std::uint32_t(b[at + 2]) << 8 | std::uint32_t(b[at + 3]);
    const std::string type(reinterpret_cast<const char*>(b.data() + at + 4), 4);
    MVG_CHECK(length <= b.size() - at - 12, name, ": PNG chunk '", type, "' at byte ", at, " declares ", length,
              " bytes, but the file has only ", b.size() - at - 12, " left");
    at += 12 + length;
    if (type == "IEND") break;
  }
}
}  // namespace detail

// channels = 0 keeps the file's channel count; 1..4 converts (stb's luminance/alpha rules).
inline xt::xtensor<std::uint8_t, 3> read_image_u8(const std::filesystem::path& path, int channels = 0) {
  const std::string name = path.string();
  MVG_CHECK(channels >= 0 && channels <= 4, name, ": read_image: channels must be 0..4, got ", channels);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  MVG_CHECK(!ec, name, ": cannot open image file");
  MVG_CHECK(size <= (std::uint64_t{1} << 30), name, ": image file is larger than 1 GiB");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    MVG_CHECK(in.gcount() == static_cast<std::streamsize>(bytes.size()), name, ": cannot read image file");
  }
  MVG_CHECK(!bytes.empty() && bytes.size() <= static_cast<std::size_t>(INT32_MAX), name, ": image file is empty");
  static const std::uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const bool png = bytes.size() >= 8 && std::equal(png_sig, png_sig + 8, bytes.begin());
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  MVG_CHECK(png || jpeg, name, ": not a PNG or JPEG file (its header has neither signature)");
  if (png) detail::check_png_chunks(bytes, name);
  int w = 0, h = 0, c = 0;
  MVG_CHECK(stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c) == 1, name,
            ": not a readable image header (stb: ", stbi_failure_reason() ? stbi_failure_reason() : "unknown", ")");
  MVG_CHECK(w >= 1 && h >= 1 && w <= max_image_side && h <= max_image_side &&
                static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) <= max_image_pixels,
            name, ": image header field width×height is ", w, "×", h, ", expected ≤ ", max_image_side,
            " per side and ≤ ", max_image_pixels, " pixels");
  int w2 = 0, h2 = 0, c2 = 0;
  stbi_uc* px = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w2, &h2, &c2, channels);
  MVG_CHECK(px != nullptr, name, ": corrupt or truncated image data (stb: ",
            stbi_failure_reason() ? stbi_failure_reason() : "unknown", ")");
  const int out_c = channels ? channels : c2;
  if (w2 != w || h2 != h) {
    stbi_image_free(px);
    ::mvg::detail::fail(name, ": image size changed between header and decode");
  }
  xt::xtensor<std::uint8_t, 3> out = xt::xtensor<std::uint8_t, 3>::from_shape(
      {static_cast<std::size_t>(h), static_cast<std::size_t>(w), static_cast<std::size_t>(out_c)});
  std::copy(px, px + out.size(), out.data());
  stbi_image_free(px);
  return out;
}

inline xt::xtensor<float, 3> read_image(const std::filesystem::path& path, int channels = 0) {
  const auto u8 = read_image_u8(path, channels);
  xt::xtensor<float, 3> out = xt::xtensor<float, 3>::from_shape(u8.shape());
  std::transform(u8.begin(), u8.end(), out.begin(), [](std::uint8_t v) { return static_cast<float>(v) / 255.0f; });
  return out;
}

inline void write_png(const std::filesystem::path& path, const xt::xtensor<std::uint8_t, 3>& hwc) {
  const std::string name = path.string();
  const auto& s = hwc.shape();
  MVG_CHECK(s[0] >= 1 && s[1] >= 1 && s[0] <= std::size_t(max_image_side) && s[1] <= std::size_t(max_image_side),
            name, ": write_png: image is ", s[0], "×", s[1], ", expected 1..", max_image_side, " per side");
  MVG_CHECK(s[2] >= 1 && s[2] <= 4, name, ": write_png: channels must be 1..4, got ", s[2]);
  std::vector<std::uint8_t> encoded;
  auto sink = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
  };
  const int w = static_cast<int>(s[1]), h = static_cast<int>(s[0]), c = static_cast<int>(s[2]);
  const int ok = stbi_write_png_to_func(sink, &encoded, w, h, c, hwc.data(), w * c);
  MVG_CHECK(ok != 0 && !encoded.empty(), name, ": PNG encoding failed");
  io::write_file_atomically(path.string(), encoded);
}

// Floats in [0, 1] (clamped, rounded); (h, w) is grey, (h, w, c) keeps c channels.
template <class E>
void write_png(const std::filesystem::path& path, const E& image) {
  const auto& s = image.shape();
  MVG_CHECK(s.size() == 2 || s.size() == 3, path.string(), ": write_png: expected (h, w) or (h, w, c), got ",
            s.size(), " dims");
  const std::size_t c = s.size() == 3 ? s[2] : 1;
  xt::xtensor<std::uint8_t, 3> u8 = xt::xtensor<std::uint8_t, 3>::from_shape({s[0], s[1], c});
  std::size_t i = 0;
  for (auto v : image) {
    const double f = std::isfinite(static_cast<double>(v)) ? std::clamp(static_cast<double>(v), 0.0, 1.0) : 0.0;
    u8.data()[i++] = static_cast<std::uint8_t>(std::lround(f * 255.0));
  }
  write_png(path, u8);
}

}  // namespace mvg::data
