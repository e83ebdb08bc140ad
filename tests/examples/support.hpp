// Shared by tests/examples: running an example program and reading what it left behind.
#pragma once
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "data/support.hpp"

namespace mvg_test {

struct run_result {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Runs `exe args` in `dir` with stdout/stderr captured; MVG_DATA_DIR points at the test data.
inline run_result run(const std::filesystem::path& dir, const std::string& exe, const std::string& args) {
  const auto o = dir / ".stdout", e = dir / ".stderr";
  const std::string cmd = "cd '" + dir.string() + "' && MVG_DATA_DIR='" + data_dir().string() + "' MVG_MANIFEST='" +
                          (std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest").string() + "' '" +
                          exe + "' " + args + " > '" + o.string() + "' 2> '" + e.string() + "'";
  const int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(o), r.err = slurp(e);
  std::filesystem::remove(o), std::filesystem::remove(e);
  return r;
}

// Files in dir (recursively), dot files excluded.
inline std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file() && f.path().filename().string()[0] != '.') out.push_back(f.path().lexically_relative(dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

// "step,task,objective,loss" of every row of a mvg_train log.csv (the columns a resume must reproduce).
inline std::vector<std::string> loss_column(const std::filesystem::path& log) {
  std::stringstream in(mvg_test::slurp(log));
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "step,task,objective,loss,lr,grad_norm,seconds");
  while (std::getline(in, line)) {
    std::size_t end = 0;  // one past the 4th field
    for (int i = 0; i < 4 && end != std::string::npos; ++i) end = line.find(',', end + (i > 0));
    out.push_back(line.substr(0, end));
  }
  return out;
}

// Rewrites a safetensors header through f, keeping the data block.
inline void edit_header(const std::filesystem::path& in, const std::filesystem::path& out,
                        const std::function<void(nlohmann::json&)>& f) {
  const std::string b = mvg_test::slurp(in);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(b[std::size_t(i)]);
  auto j = nlohmann::json::parse(b.substr(8, n));
  f(j);
  std::string h = j.dump();
  std::string len(8, '\0');
  for (int i = 0; i < 8; ++i) len[std::size_t(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  std::ofstream(out, std::ios::binary) << len + h + b.substr(8 + n);
}

}  // namespace mvg_test
