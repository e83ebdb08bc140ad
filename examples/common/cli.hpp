// examples/common/cli.hpp: the command-line contract every example keeps (SPEC §8):
// `--help` prints usage and exits 0; a bad flag exits 2, bad input exits 1; either way the message
// is ONE line on stderr, "<program>: <what went wrong>", naming the file and what was expected.
// Parsing is CLI11's (Debian libcli11-dev): typed values, required flags and the help text for free.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include <mvg/core/error.hpp>

namespace example {

// Collapses a message to one line (error texts may quote multi-line sources).
inline std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// Parses argv into `app` and runs `body`; returns the process exit code.
inline int run(CLI::App& app, int argc, char** argv, const std::function<void()>& body) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines interleave with stderr in order
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", name.c_str(), one_line(e.what()).c_str());
    return 2;
  }
  try {
    body();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", name.c_str(), one_line(e.what()).c_str());
    return 1;
  }
  return 0;
}

// Splits "a,b,c" (empty → none).
inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace example
