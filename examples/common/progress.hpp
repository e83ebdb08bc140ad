// examples/common/progress.hpp: a one-line progress bar on stderr, so a long run shows it is alive.
// On a terminal the line is redrawn in place; otherwise (CI logs, pipes) a plain line is printed
// every `every` updates and at the end, so logs stay readable.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace example {

inline std::string clock_text(double seconds) {
  if (!(seconds >= 0) || seconds > 359999) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

class progress_bar {
public:
  progress_bar(std::string label, long total, long start = 0, long every = 0)
      : label_(std::move(label)), total_(total), start_(start), tty_(::isatty(STDERR_FILENO) != 0),
        every_(every > 0 ? every : std::max(1L, total / 20)), t0_(std::chrono::steady_clock::now()) {}

  // done: items finished so far (start ≤ done ≤ total); detail: what to show after the rate.
  void update(long done, const std::string& detail = "") {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = el > 0 ? double(done - start_) / el : 0;
    const double eta = rate > 0 ? double(total_ - done) / rate : -1;
    const int width = 24, fill = total_ > 0 ? int(double(width) * double(done) / double(total_)) : width;
    std::string bar(std::size_t(fill), '#');
    bar.resize(width, '.');
    char head[160];
    std::snprintf(head, sizeof head, "%s [%s] %ld/%ld  %.2f it/s  ETA %s", label_.c_str(), bar.c_str(), done,
                  total_, rate, clock_text(eta).c_str());
    const std::string line = std::string(head) + (detail.empty() ? "" : "  " + detail);
    if (tty_) {
      std::fprintf(stderr, "\r%s\033[K", line.c_str());
      if (done >= total_) std::fputc('\n', stderr);
    } else if (done >= total_ || (done - start_) % every_ == 0) {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

private:
  std::string label_;
  long total_, start_;
  bool tty_;
  long every_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace example
