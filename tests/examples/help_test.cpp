// `--help` on every example program (SPEC §8): exit 0, usage on stdout naming the program and its
// options, nothing on stderr. mvg_inventory once took --help for a flag missing its value, and
// mvg_quickstart printed one line without saying what it does.
#include <algorithm>

#include "examples/support.hpp"

TEST_CASE("every example program answers --help with its usage and exit code 0", "[examples][cli]") {
  mvg_test::scratch s("help");
  struct program {
    const char *exe, *name;
    std::vector<std::string> options;
  };
  for (const auto& p : std::vector<program>{{MVG_TRAIN_EXE, "mvg_train", {"--out", "--steps", "--resume"}},
                                            {MVG_INFER_EXE, "mvg_infer", {"--checkpoint", "--query", "--out"}},
                                            {MVG_EVAL_EXE, "mvg_eval", {"--checkpoint", "--out", "--tasks"}},
                                            {MVG_INVENTORY_EXE, "mvg_inventory", {"--size", "--out", "--data", "--manifest"}},
                                            {MVG_QUICKSTART_EXE, "mvg_quickstart", {"--steps", "--out"}}}) {
    const auto r = mvg_test::run(s.dir, p.exe, "--help");
    INFO(p.name << " --help\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK_THAT(r.out, Catch::Contains(p.name));
    for (const auto& o : p.options) CHECK_THAT(r.out, Catch::Contains(o));
    // more than a usage line: a sentence on what the program does, and one line per option
    CHECK(std::size_t(std::count(r.out.begin(), r.out.end(), '\n')) >= p.options.size() + 2);
  }
  CHECK(mvg_test::files_in(s.dir).empty());  // --help runs nothing
}
