// Shared by the fuzz targets: the bytes go to a per-process scratch file (the readers take paths, as
// users call them), and the only acceptable failure is mvg::error, the library's one-line message.
// Anything else escaping a reader (std::bad_alloc, std::out_of_range, a JSON library exception) is
// a missing check, so it propagates and the fuzzer (or the replay driver) reports it.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "mvg/core/error.hpp"

namespace mvg_fuzz {

inline std::filesystem::path scratch_file(const std::string& suffix) {
  const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                        : std::filesystem::temp_directory_path();
  return dir / ("mvg_fuzz_" + std::to_string(::getpid()) + suffix);
}

// Writes the bytes to the scratch file with `suffix` and runs read(path); mvg::error is expected.
template <class Read>
void with_file(const std::uint8_t* data, std::size_t size, const std::string& suffix, Read read) {
  const auto path = scratch_file(suffix);
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("fuzz: cannot write " + path.string());
    if (size) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    read(path);
  } catch (const mvg::error& e) {
    if (std::getenv("MVG_FUZZ_VERBOSE")) std::fprintf(stderr, "rejected: %s\n", e.what());  // for triage
    std::filesystem::remove(path);
    return;
  }
  if (std::getenv("MVG_FUZZ_VERBOSE")) std::fprintf(stderr, "accepted\n");
  std::filesystem::remove(path);
}

}  // namespace mvg_fuzz
