// mvg/data/formats/file_io.hpp: bounded byte-level file access shared by every reader and writer of mvg::data.
// Contract: reads never allocate more than the caller's limit (a lying size or a gzip bomb is an
// mvg::error naming the file, not an out-of-memory); a .gz stream that ends early or fails its CRC is
// an error; writes are atomic (a temporary file in the destination's folder, then rename), so a reader
// never sees a half-written file and a failed write leaves the old file in place.
#pragma once
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/io/atomic_file.hpp"

namespace mvg::data {

// Upper bound on what one reader may hold in memory for one file (decoded), 2 GiB.
inline constexpr std::uint64_t max_file_bytes = std::uint64_t{1} << 31;

// Sequential reader over a plain or gzip-compressed file (zlib detects which). Reads are bounded by
// the caller, so a header can be validated before the payload is touched.
class gz_reader {
public:
  explicit gz_reader(const std::filesystem::path& path) : name_(path.string()) {
    file_ = gzopen(name_.c_str(), "rb");
    MVG_CHECK(file_ != nullptr, name_, ": cannot open file");
    gzbuffer(file_, 1 << 17);
  }
  gz_reader(const gz_reader&) = delete;
  gz_reader& operator=(const gz_reader&) = delete;
  ~gz_reader() {
    if (file_) gzclose(file_);
  }
  const std::string& name() const { return name_; }
  std::uint64_t position() const { return position_; }

  // Reads up to n bytes into out; returns how many were read (fewer only at the end of the data).
  std::size_t read_some(void* out, std::size_t n) {
    auto* p = static_cast<unsigned char*>(out);
    std::size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(file_, p + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        ::mvg::detail::fail(name_, ": corrupt compressed data at byte ", position_ + done, " (zlib: ", msg, ")");
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    position_ += done;
    // zlib reports a truncated stream as a short read plus an error state; surface it.
    if (done < n) {
      int code = 0;
      const char* msg = gzerror(file_, &code);
      MVG_CHECK(code == Z_OK, name_,
                ": compressed stream is truncated or corrupt after ", position_, " bytes (zlib: ", msg, ")");
    }
    return done;
  }
  // Reads exactly n bytes or throws naming `what` (the field being read) and how much was there.
  void read_exact(void* out, std::size_t n, const char* what) {
    const std::uint64_t start = position_;
    const std::size_t got = read_some(out, n);
    MVG_CHECK(got == n, name_, ": file is truncated in ", what, ": expected ", n, " bytes at offset ", start,
              ", found ", got);
  }
  // Discards n bytes (e.g. NIfTI extensions between the header and vox_offset).
  void skip(std::uint64_t n, const char* what) {
    std::vector<unsigned char> sink(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16)));
    while (n > 0) {
      const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sink.size()));
      read_exact(sink.data(), step, what);
      n -= step;
    }
  }
  // Reads everything that is left, refusing to hold more than `limit` bytes.
  std::vector<std::uint8_t> read_all(std::uint64_t limit = max_file_bytes) {
    std::vector<std::uint8_t> out;
    std::size_t chunk = 1 << 20;
    for (;;) {
      // ask for one byte beyond the limit, so a larger file is detected without reading all of it
      const std::size_t old = out.size();
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, limit + 1 - old));
      out.resize(old + want);
      const std::size_t got = read_some(out.data() + old, want);
      out.resize(old + got);
      MVG_CHECK(out.size() <= limit, name_, ": decoded size exceeds the limit of ", limit, " bytes");
      if (got < want) break;
      chunk = std::min<std::size_t>(chunk * 2, 1 << 26);
    }
    return out;
  }

private:
  std::string name_;
  gzFile file_ = nullptr;
  std::uint64_t position_ = 0;
};

// Whole file (inflated when it is gzip), at most `limit` bytes.
inline std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path,
                                                 std::uint64_t limit = max_file_bytes) {
  gz_reader r(path);
  return r.read_all(limit);
}

// gzip-compresses a buffer in memory (level 6: the usual speed/size balance).
inline std::vector<std::uint8_t> gzip_bytes(std::span<const std::uint8_t> in, const std::string& name) {
  z_stream z{};
  MVG_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, name,
            ": cannot initialise gzip compression");
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(in.size())) + 64);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t produced = z.total_out;
  deflateEnd(&z);
  MVG_CHECK(rc == Z_STREAM_END, name, ": gzip compression failed (zlib code ", rc, ")");
  out.resize(produced);
  return out;
}

// Little-endian loads/stores from raw bytes, independent of the host's byte order and alignment.
template <class T>
T load_le(const std::uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::uint8_t b[sizeof(T)];
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(b, p, sizeof(T));
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = p[sizeof(T) - 1 - i];
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}
template <class T>
void store_le(std::uint8_t* p, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, b, sizeof(T));
  } else {
    for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = b[sizeof(T) - 1 - i];
  }
}

}  // namespace mvg::data
