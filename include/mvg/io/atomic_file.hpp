// mvg/io/atomic_file.hpp: write a whole file or nothing. Data goes to "<path>.tmp.<pid>.<n>", is
// fsynced, then renamed over <path> (atomic on POSIX), and the directory is fsynced so the rename
// survives a crash. A reader never sees a half-written file. A write that fails (a full disk, a quota,
// a file-size limit) removes the temporary and throws an mvg::error naming <path>, whose previous
// content is untouched.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <atomic>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "mvg/core/error.hpp"

namespace mvg::io {

namespace detail {
// Errors name `path`, the file the caller asked for: the temporary is removed before anyone reads them.
inline void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      ::mvg::detail::fail(path, ": write failed: ", std::strerror(errno), "; the file on disk is unchanged");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}
}  // namespace detail

// Calls fill(sink) where sink(const char*, size_t) appends bytes; then commits atomically.
template <class Fill>
void write_atomically(const std::string& path, Fill&& fill) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent))
    ::mvg::detail::fail(path, ": output folder ", parent.string(), " does not exist");
  // Unique per process and call, so concurrent writers of one path never share a temporary file.
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ::mvg::detail::fail(path, ": cannot create ", tmp, ": ", std::strerror(errno));
  try {
    fill([&](const char* p, std::size_t n) { detail::write_all(fd, p, n, path); });
    // Some file systems (NFS, quotas) report a full disk only at fsync or close.
    if (::fsync(fd) != 0)
      ::mvg::detail::fail(path, ": fsync failed: ", std::strerror(errno), "; the file on disk is unchanged");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0 && errno != EINTR) {  // EINTR: Linux has closed the descriptor, the data was fsynced
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    ::mvg::detail::fail(path, ": close failed: ", why, "; the file on disk is unchanged");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    ::mvg::detail::fail(path, ": cannot rename ", tmp, " into place: ", why);
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

inline void write_file_atomically(const std::string& path, std::string_view bytes) {
  write_atomically(path, [&](auto&& sink) { sink(bytes.data(), bytes.size()); });
}
inline void write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Removes the "<path>.tmp.*" files a writer killed mid-write left behind (SIGKILL runs no cleanup).
// Call it only when no other process is writing `path`.
inline void remove_stale_temporaries(const std::string& path) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
}

}  // namespace mvg::io
