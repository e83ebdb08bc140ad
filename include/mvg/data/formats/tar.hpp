// mvg/data/formats/tar.hpp: listing the regular files of an in-memory tar archive.
// Contract: 512-byte headers, POSIX "ustar\0" and old GNU "ustar  \0" magic (and pre-POSIX headers
// with no magic); every header's checksum is verified; a member whose size runs past the buffer is an
// error naming the archive and the member; GNU long names ('L') are honoured; directories, links and
// pax headers are skipped. Entries point into the caller's buffer (no copies).
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::data {

struct tar_entry {
  std::string name;
  std::span<const std::uint8_t> bytes;
};

namespace detail {

// Octal numeric field (NUL/space terminated); the GNU base-256 form is refused: no member here is 8 GiB.
inline std::uint64_t tar_octal(const std::uint8_t* f, std::size_t len, const std::string& archive,
                               const char* field, std::uint64_t header_at) {
  std::size_t i = 0;
  while (i < len && f[i] == ' ') ++i;
  std::uint64_t v = 0;
  bool any = false;
  for (; i < len && f[i] != 0 && f[i] != ' '; ++i) {
    MVG_CHECK(f[i] >= '0' && f[i] <= '7', archive, ": tar header at byte ", header_at, ": field ", field,
              " is not an octal number");
    MVG_CHECK(v < (std::uint64_t{1} << 60), archive, ": tar header at byte ", header_at, ": field ", field, " overflows");
    v = v * 8 + static_cast<std::uint64_t>(f[i] - '0');
    any = true;
  }
  MVG_CHECK(any, archive, ": tar header at byte ", header_at, ": field ", field, " is empty");
  return v;
}

inline std::string tar_string(const std::uint8_t* f, std::size_t len) {
  return std::string(reinterpret_cast<const char*>(f), strnlen(reinterpret_cast<const char*>(f), len));
}

}  // namespace detail

inline std::vector<tar_entry> list_tar(std::span<const std::uint8_t> buf, const std::string& archive) {
  std::vector<tar_entry> out;
  std::uint64_t at = 0;
  std::string long_name;
  bool saw_header = false;
  while (at + 512 <= buf.size()) {
    const std::uint8_t* h = buf.data() + at;
    bool zero = true;
    for (int i = 0; i < 512 && zero; ++i) zero = h[i] == 0;
    if (zero) break;  // end-of-archive marker
    std::uint64_t sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    const std::uint64_t stored = detail::tar_octal(h + 148, 8, archive, "chksum", at);
    MVG_CHECK(sum == stored, archive, ": tar header at byte ", at, ": field chksum is ", stored,
              " but the header sums to ", sum, " (corrupt or not a tar archive)");
    const bool ustar = std::memcmp(h + 257, "ustar\0", 6) == 0 || std::memcmp(h + 257, "ustar  \0", 8) == 0;
    const bool legacy = h[257] == 0;
    MVG_CHECK(ustar || legacy, archive, ": tar header at byte ", at, ": field magic is not \"ustar\"");
    saw_header = true;
    const std::uint64_t size = detail::tar_octal(h + 124, 12, archive, "size", at);
    const std::uint64_t data_at = at + 512;
    MVG_CHECK(size <= buf.size() - data_at, archive, ": tar member at byte ", at, ": field size says ", size,
              " bytes but only ", buf.size() - data_at, " remain (truncated archive)");
    std::string name = detail::tar_string(h, 100);
    if (ustar && h[345] != 0 && std::memcmp(h + 257, "ustar\0", 6) == 0)
      name = detail::tar_string(h + 345, 155) + "/" + name;
    const char type = static_cast<char>(h[156]);
    if (!long_name.empty()) name = std::move(long_name), long_name.clear();
    if (type == 'L') {
      long_name = detail::tar_string(buf.data() + data_at, static_cast<std::size_t>(size));
    } else if (type == '0' || type == '\0' || type == '7') {
      out.push_back({name, buf.subspan(static_cast<std::size_t>(data_at), static_cast<std::size_t>(size))});
    }
    at = data_at + (size + 511) / 512 * 512;
  }
  MVG_CHECK(saw_header, archive, ": not a tar archive (no header in the first 512 bytes)");
  return out;
}

// The member whose path ends in "/" + leaf (or equals leaf); archives keep files under a folder prefix.
inline const tar_entry* find_tar_member(const std::vector<tar_entry>& entries, const std::string& leaf) {
  for (const auto& e : entries) {
    if (e.name == leaf) return &e;
    if (e.name.size() > leaf.size() && e.name.compare(e.name.size() - leaf.size(), leaf.size(), leaf) == 0 &&
        e.name[e.name.size() - leaf.size() - 1] == '/')
      return &e;
  }
  return nullptr;
}

}  // namespace mvg::data
