// mvg/data/formats/image_io.hpp: PNG and JPEG read through stb_image, PNG write through stb_image_write.
// Contract: only PNG and JPEG are read (by signature; stb's other formats are refused: each is more
// parser for hostile bytes to reach, and medical pictures come as PNG/JPEG). read_image returns
// (height, width, channels) floats in [0, 1] at the file's depth (8-bit / 255, 16-bit PNG / 65535),
// read_image_gray one grey channel of it, read_label_image integer class ids at the file's depth (one
// grey channel only); read_image_u8 returns bytes, so it keeps only the high byte of a 16-bit sample.
// The file is read with a size limit, its dimensions are checked
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
#include <fstream>
#include <string>
#include <type_traits>
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

// The file's bytes, checked before stb sees them: a PNG or JPEG signature, PNG chunk lengths, and header
// dimensions within max_image_side / max_image_pixels.
struct checked_image {
  std::vector<std::uint8_t> bytes;
  int width = 0, height = 0, channels = 0;
  bool sixteen_bit = false;  // a 16-bit PNG; stbi_load would keep only the high byte of each sample
};

inline checked_image check_image_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  MVG_CHECK(!ec, name, ": cannot open image file");
  MVG_CHECK(size <= (std::uint64_t{1} << 30), name, ": image file is larger than 1 GiB");
  checked_image f;
  f.bytes.resize(static_cast<std::size_t>(size));
  {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(f.bytes.data()), static_cast<std::streamsize>(f.bytes.size()));
    MVG_CHECK(in.gcount() == static_cast<std::streamsize>(f.bytes.size()), name, ": cannot read image file");
  }
  const auto& bytes = f.bytes;
  MVG_CHECK(!bytes.empty() && bytes.size() <= static_cast<std::size_t>(INT32_MAX), name, ": image file is empty");
  static const std::uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const bool png = bytes.size() >= 8 && std::equal(png_sig, png_sig + 8, bytes.begin());
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  MVG_CHECK(png || jpeg, name, ": not a PNG or JPEG file (its header has neither signature)");
  if (png) check_png_chunks(bytes, name);
  int w = 0, h = 0, c = 0;
  MVG_CHECK(stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c) == 1, name,
            ": not a readable image header (stb: ", stbi_failure_reason() ? stbi_failure_reason() : "unknown", ")");
  MVG_CHECK(w >= 1 && h >= 1 && w <= max_image_side && h <= max_image_side &&
                static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) <= max_image_pixels,
            name, ": image header field width×height is ", w, "×", h, ", expected ≤ ", max_image_side,
            " per side and ≤ ", max_image_pixels, " pixels");
  f.width = w, f.height = h, f.channels = c;
  f.sixteen_bit = png && stbi_is_16_bit_from_memory(bytes.data(), static_cast<int>(bytes.size())) == 1;
  return f;
}

// Decodes a checked file to uint8 (stbi_load; a 16-bit file keeps its high bytes) or uint16 (stbi_load_16).
template <class T>
xt::xtensor<T, 3> decode(const checked_image& f, const std::string& name, int channels) {
  static_assert(std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::uint16_t>, "stb decodes to 8 or 16 bits");
  const auto* data = f.bytes.data();
  const int len = static_cast<int>(f.bytes.size());
  int w = 0, h = 0, c = 0;
  T* px = nullptr;
  if constexpr (std::is_same_v<T, std::uint8_t>) px = stbi_load_from_memory(data, len, &w, &h, &c, channels);
  else px = stbi_load_16_from_memory(data, len, &w, &h, &c, channels);
  MVG_CHECK(px != nullptr, name, ": corrupt or truncated image data (stb: ",
            stbi_failure_reason() ? stbi_failure_reason() : "unknown", ")");
  if (w != f.width || h != f.height) {
    stbi_image_free(px);
    ::mvg::detail::fail(name, ": image size changed between header and decode");
  }
  const int out_c = channels ? channels : c;
  xt::xtensor<T, 3> out = xt::xtensor<T, 3>::from_shape(
      {static_cast<std::size_t>(h), static_cast<std::size_t>(w), static_cast<std::size_t>(out_c)});
  std::copy(px, px + out.size(), out.data());
  stbi_image_free(px);
  return out;
}
}  // namespace detail

// Bytes as stored in 8-bit files; a 16-bit PNG is reduced to its high bytes (read_image and
// read_label_image keep full depth). channels = 0 keeps the file's channel count; 1..4 converts
// (stb's luminance/alpha rules).
inline xt::xtensor<std::uint8_t, 3> read_image_u8(const std::filesystem::path& path, int channels = 0) {
  const std::string name = path.string();
  MVG_CHECK(channels >= 0 && channels <= 4, name, ": read_image: channels must be 0..4, got ", channels);
  return detail::decode<std::uint8_t>(detail::check_image_file(path), name, channels);
}

// Intensities in [0, 1] at the file's depth: 8-bit samples / 255, 16-bit samples / 65535.
inline xt::xtensor<float, 3> read_image(const std::filesystem::path& path, int channels = 0) {
  const std::string name = path.string();
  MVG_CHECK(channels >= 0 && channels <= 4, name, ": read_image: channels must be 0..4, got ", channels);
  const auto f = detail::check_image_file(path);
  auto scaled = [](const auto& px, float top) {
    xt::xtensor<float, 3> out = xt::xtensor<float, 3>::from_shape(px.shape());
    std::transform(px.begin(), px.end(), out.begin(), [top](auto v) { return static_cast<float>(v) / top; });
    return out;
  };
  return f.sixteen_bit ? scaled(detail::decode<std::uint16_t>(f, name, channels), 65535.0f)
                       : scaled(detail::decode<std::uint8_t>(f, name, channels), 255.0f);
}

// One grey channel (colour converted by stb's luminance rule) as a (height, width) image in [0, 1].
inline xt::xtensor<float, 2> read_image_gray(const std::filesystem::path& path) {
  const auto hwc = read_image(path, 1);
  xt::xtensor<float, 2> out = xt::xtensor<float, 2>::from_shape({hwc.shape()[0], hwc.shape()[1]});
  std::copy(hwc.begin(), hwc.end(), out.begin());
  return out;
}

// Class ids as stored: 0..255 from an 8-bit file, 0..65535 from a 16-bit one. A label file must have
// one grey channel: converting colour (or a palette, which stb expands to colour) to luminance would
// turn class colours into arbitrary ids, so such a file is refused.
inline xt::xtensor<std::int32_t, 2> read_label_image(const std::filesystem::path& path) {
  const std::string name = path.string();
  const auto f = detail::check_image_file(path);
  MVG_CHECK(f.channels == 1, name, ": a label image must have one grey channel of class ids, but this file has ",
            f.channels, f.channels == 2 ? " (grey and alpha)" : " (colour or a palette)",
            "; save the class ids as a greyscale PNG");
  auto ids = [](const auto& px) {
    xt::xtensor<std::int32_t, 2> out = xt::xtensor<std::int32_t, 2>::from_shape({px.shape()[0], px.shape()[1]});
    std::transform(px.begin(), px.end(), out.begin(), [](auto v) { return static_cast<std::int32_t>(v); });
    return out;
  };
  return f.sixteen_bit ? ids(detail::decode<std::uint16_t>(f, name, 1)) : ids(detail::decode<std::uint8_t>(f, name, 1));
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
