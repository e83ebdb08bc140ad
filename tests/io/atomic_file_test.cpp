// io::write_file_atomically when the disk cannot hold the new file. A file-size limit (RLIMIT_FSIZE,
// with SIGXFSZ ignored) makes write() fail with EFBIG as a full disk makes it fail with ENOSPC; it is
// set in a forked child so the test process keeps writing freely.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "mvg/io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct child_result {
  int code = -1;
  std::string message;  // what the child's mvg::error said
};

// Runs write_file_atomically(path, bytes) in a child whose files may not grow past `limit` bytes.
child_result write_under_limit(const fs::path& path, const std::string& bytes, rlim_t limit) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the writer instead of failing the write
    rlimit rl{};
    ::getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = limit;
    if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) ::_exit(3);
    try {
      mvg::io::write_file_atomically(path.string(), bytes);
    } catch (const mvg::error& e) {
      [[maybe_unused]] const auto n = ::write(fds[1], e.what(), std::strlen(e.what()));
      ::_exit(1);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  child_result r;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.message.append(buf, std::size_t(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}
}  // namespace

TEST_CASE("a write the disk cannot hold fails naming the file, and leaves the old file whole and no temporary",
          "[io][errors]") {
  const fs::path dir = fs::temp_directory_path() / ("mvg_atomic_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "model.safetensors";
  const std::string before(3000, 'a');
  mvg::io::write_file_atomically(file.string(), before);

  const auto r = write_under_limit(file, std::string(1 << 20, 'b'), 64 * 1024);
  INFO(r.message);
  CHECK(r.code == 1);
  // The file the caller asked for, and why; not the temporary, which is gone by the time anyone reads this.
  CHECK(r.message.starts_with(file.string() + ": "));
  CHECK_THAT(r.message, Catch::Contains(std::strerror(EFBIG)));
  CHECK_THAT(r.message, !Catch::Contains(".tmp."));
  CHECK(slurp(file) == before);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);

  // Under the limit, the same child writes: the limit, not the child, made the write fail.
  const auto fits = write_under_limit(file, std::string(1000, 'c'), 64 * 1024);
  CHECK(fits.code == 0);
  CHECK(slurp(file) == std::string(1000, 'c'));
  fs::remove_all(dir);
}
