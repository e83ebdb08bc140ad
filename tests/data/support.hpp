// Shared by tests/data: where the real data lives, and a scratch folder per test.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mvg/data/benchmark/benchmark.hpp"

namespace mvg_test {

// MVG_DATA_DIR, else <repo>/.cache/data. Missing data FAILS the test (the test command fetches it).
inline std::filesystem::path data_dir() {
  const char* env = std::getenv("MVG_DATA_DIR");
  const std::filesystem::path dir = env && *env ? std::filesystem::path(env)
                                                : std::filesystem::path(MVG_SOURCE_DIR) / ".cache" / "data";
  if (!std::filesystem::exists(dir / "mricron-data") || !std::filesystem::exists(dir / "invesalius-examples") ||
      !std::filesystem::exists(dir / "insighttoolkit5-examples"))
    FAIL("benchmark data not found in " << dir.string()
                                        << ": run scripts/fetch_data.sh (scripts/test.sh does) or set MVG_DATA_DIR");
  return dir;
}

inline std::filesystem::path data_file(const std::string& rel) { return data_dir() / rel; }

inline const mvg::data::benchmark& bench(std::size_t size = 64) {
  mvg::data::benchmark_options o;
  o.image_size = size;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = data_dir();
  return *mvg::data::cached_benchmark(o);
}

// A fresh folder under the system temp dir, removed when the test ends.
struct scratch {
  std::filesystem::path dir;
  explicit scratch(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("mvg_test_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path operator/(const std::string& f) const { return dir / f; }
};

// xtensor's == on containers inside CHECK fights Catch's expression decomposer; compare outside it.
template <class A, class B>
bool same(const A& a, const B& b) {
  return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

inline void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace mvg_test
