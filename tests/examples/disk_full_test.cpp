// A disk that fills up during a checkpoint: mvg_train stops with one line naming the file, the previous
// checkpoint stays whole (byte for byte), no temporary is left, and --resume continues from it as if
// nothing had happened. The full disk is a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored, so
// write() fails with EFBIG as it fails with ENOSPC on a full disk), set in the child that runs mvg_train.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "examples/support.hpp"

namespace fs = std::filesystem;

namespace {
const std::string args = "--tasks S1 --steps 4 --batch 2 --checkpoint-every 2 --threads 1 --seed 4";

// mvg_train `extra` in dir, its files limited to `limit` bytes; stdout and stderr land in dir/.out, dir/.err.
mvg_test::run_result train_with_file_limit(const fs::path& dir, const std::vector<std::string>& extra, rlim_t limit) {
  std::vector<std::string> argv_s = {MVG_TRAIN_EXE};
  std::stringstream words(args);
  for (std::string w; words >> w;) argv_s.push_back(w);
  argv_s.insert(argv_s.end(), extra.begin(), extra.end());
  const std::string data = mvg_test::data_dir().string(),  // before the fork: it may FAIL the test
      manifest = (fs::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest").string();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int out = ::open((dir / ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir / ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
    ::setenv("MVG_DATA_DIR", data.c_str(), 1);
    ::setenv("MVG_MANIFEST", manifest.c_str(), 1);
    ::signal(SIGXFSZ, SIG_IGN);  // kept across exec: the write fails instead of the kernel killing mvg_train
    rlimit rl{};
    ::getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = limit;
    if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  mvg_test::run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = mvg_test::slurp(dir / ".out"), r.err = mvg_test::slurp(dir / ".err");
  fs::remove(dir / ".out"), fs::remove(dir / ".err");
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
}  // namespace

TEST_CASE("mvg_train: a disk full during a checkpoint keeps the previous one whole and exits with one line",
          "[examples][train][errors]") {
  mvg_test::scratch s("disk_full");
  const fs::path run = s / "run";
  const auto first = mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out run " + args + " --until 2");
  INFO(first.err);
  REQUIRE(first.code == 0);
  const std::string model = mvg_test::slurp(run / "model.safetensors"),
                    state = mvg_test::slurp(run / "train_state.safetensors");
  REQUIRE(model.size() > 1'000'000);
  REQUIRE(state.size() > model.size());

  // The step-4 checkpoint writes the log, then the state: the limit lets the log through and stops the
  // state a byte short of its end (the model, written after the state, is never reached).
  const auto full = train_with_file_limit(s.dir, {"--out", "run", "--resume"}, state.size() - 1);
  INFO("stdout: " << full.out << "\nstderr: " << full.err);
  CHECK(full.code == 1);
  // (a) the previous checkpoint, byte for byte
  CHECK(mvg_test::slurp(run / "train_state.safetensors") == state);
  CHECK(mvg_test::slurp(run / "model.safetensors") == model);
  // (b) no temporary left
  for (const auto& f : mvg_test::files_in(run)) CHECK(f.find(".tmp.") == std::string::npos);
  // (c) one line of error, the last on stderr, naming the file and the reason; the lines before it are
  // the progress bar's (stderr carries it when it is not a terminal)
  const auto err = lines(full.err);
  REQUIRE_FALSE(err.empty());
  CHECK(err.back() == "mvg_train: run/train_state.safetensors: write failed: " + std::string(std::strerror(EFBIG)) +
                          "; the file on disk is unchanged");
  for (std::size_t i = 0; i + 1 < err.size(); ++i) CHECK(err[i].starts_with("train ["));

  // The kept checkpoint resumes, and the run ends as one that never hit the limit.
  const auto resumed = mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out run " + args + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  REQUIRE(mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out whole " + args).code == 0);
  CHECK(mvg_test::loss_column(run / "log.csv") == mvg_test::loss_column(s / "whole" / "log.csv"));
  CHECK(mvg_test::slurp(run / "model.safetensors") == mvg_test::slurp(s / "whole" / "model.safetensors"));
}
