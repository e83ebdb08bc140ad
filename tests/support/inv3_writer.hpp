// A synthetic InVesalius .inv3 project (tar of plists and raw volumes, as InVesalius writes it), for
// the inv3 reader's tests and the fuzz seeds: matrix (z, y, x) = (2, 3, 4) int16, one mask (3, 4, 5)
// with InVesalius' bookkeeping border.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace mvg_test::inv3 {

struct member {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

// A tar archive as InVesalius writes it: old GNU magic "ustar  \0", 512-byte blocks.
inline std::vector<std::uint8_t> make_tar(const std::vector<member>& members, bool break_checksum = false) {
  std::vector<std::uint8_t> out;
  for (const auto& m : members) {
    std::uint8_t h[512] = {};
    std::memcpy(h, m.name.data(), std::min<std::size_t>(m.name.size(), 99));
    std::snprintf(reinterpret_cast<char*>(h + 100), 8, "%07o", 0666);
    std::snprintf(reinterpret_cast<char*>(h + 108), 8, "%07o", 0);
    std::snprintf(reinterpret_cast<char*>(h + 116), 8, "%07o", 0);
    std::snprintf(reinterpret_cast<char*>(h + 124), 12, "%011o", static_cast<unsigned>(m.bytes.size()));
    std::snprintf(reinterpret_cast<char*>(h + 136), 12, "%011o", 0);
    h[156] = '0';
    std::memcpy(h + 257, "ustar  \0", 8);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (auto b : h) sum += b;
    std::snprintf(reinterpret_cast<char*>(h + 148), 8, "%06o", sum + (break_checksum ? 1 : 0));
    out.insert(out.end(), h, h + 512);
    out.insert(out.end(), m.bytes.begin(), m.bytes.end());
    out.resize((out.size() + 511) / 512 * 512, 0);
  }
  out.resize(out.size() + 1024, 0);
  return out;
}

inline std::vector<std::uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

inline std::string main_plist(const std::string& dtype, const std::string& shape) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>masks</key><dict><key>0</key><string>mask_0.plist</string></dict>
  <key>matrix</key><dict><key>dtype</key><string>)" + dtype + R"(</string>
    <key>filename</key><string>matrix.dat</string>
    <key>shape</key><array>)" + shape + R"(</array></dict>
  <key>modality</key><string>CT &amp; more</string>
  <key>spacing</key><array><real>0.5</real><real>0.5</real><integer>2</integer></array>
</dict></plist>)";
}

inline std::string mask_plist(const std::string& shape) {
  return R"(<?xml version="1.0"?><plist version="1.0"><dict><key>mask_file</key><string>mask_0.dat</string>
  <key>mask_shape</key><array>)" + shape + R"(</array><key>name</key><string>bone</string>
  <key>threshold_range</key><array><integer>226</integer><integer>3071</integer></array><key>visible</key><true/>
  </dict></plist>)";
}

// Matrix (z, y, x) = (2, 3, 4) int16 = 100·z + 10·y + x − 50; mask (3, 4, 5) with a bookkeeping border.
inline std::vector<member> project(const std::string& dir = "tmpq1w2e3/") {
  std::vector<std::uint8_t> matrix;
  for (int z = 0; z < 2; ++z)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) {
        const std::int16_t v = static_cast<std::int16_t>(100 * z + 10 * y + x - 50);
        matrix.push_back(static_cast<std::uint8_t>(v & 0xFF)), matrix.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
      }
  std::vector<std::uint8_t> mask(3 * 4 * 5, 1);  // border index 0 holds InVesalius' flag values
  for (int z = 1; z < 3; ++z)
    for (int y = 1; y < 4; ++y)
      for (int x = 1; x < 5; ++x) mask[(z * 4 + y) * 5 + x] = (x + y + z) % 2 ? 255 : 0;
  return {{dir + "main.plist", text(main_plist("int16", "<integer>2</integer><integer>3</integer><integer>4</integer>"))},
          {dir + "matrix.dat", matrix},
          {dir + "mask_0.plist", text(mask_plist("<integer>3</integer><integer>4</integer><integer>5</integer>"))},
          {dir + "mask_0.dat", mask}};
}


}  // namespace mvg_test::inv3
