// examples/common/run_lock.hpp: one mvg_train at a time per run folder. Two runs writing one --out
// would interleave their checkpoints and logs, and one would delete the other's half-written
// temporaries as stale; so a run holds an flock on RUN_DIR/.lock from before it touches anything
// there until it exits (the kernel drops the lock of a killed run, so a crash never wedges a folder).
#pragma once
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <mvg/core/error.hpp>

namespace example {

class run_lock {
public:
  explicit run_lock(const std::filesystem::path& dir) : dir_(dir), file_(dir / ".lock") {
    created_ = !std::filesystem::exists(dir_);
    std::filesystem::create_directories(dir_);
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    MVG_CHECK(fd_ >= 0, "cannot create the lock file ", file_.string(), ": ", std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd_);
      created_ = false;  // the folder is the other run's
      MVG_CHECK(err != EWOULDBLOCK, dir_.string(), " is in use by another mvg_train (it holds ", file_.string(),
                "); wait for it to finish, or choose another --out");
      MVG_CHECK(false, "cannot lock ", file_.string(), ": ", std::strerror(err));
    }
  }
  run_lock(const run_lock&) = delete;
  run_lock& operator=(const run_lock&) = delete;

  // A run that fails before its first checkpoint leaves no folder behind, as it would without a lock.
  ~run_lock() {
    std::error_code ec;
    if (created_ && only_the_lock_inside()) {
      std::filesystem::remove(file_, ec);
      std::filesystem::remove(dir_, ec);
    }
    ::close(fd_);
  }

private:
  bool only_the_lock_inside() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
      if (e.path().filename() != ".lock") return false;
    return !ec;
  }

  std::filesystem::path dir_, file_;
  int fd_ = -1;
  bool created_ = false;
};

}  // namespace example
