// Kill-safe checkpoints (issue 11): mvg_train is SIGKILLed many times, at random moments and the moment
// a save is under way; after every kill the last complete checkpoint loads, --resume continues from
// it, and the run that was killed over and over ends bit-identical to one that never was.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "common/model_choice.hpp"
#include "common/train_log.hpp"
#include "examples/support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
// Batch 1 and a checkpoint every step: a save (108 MB, fsynced) is a large part of each step.
const std::string args = "--tasks S1 --steps 1000 --batch 1 --checkpoint-every 1 --seed 9 --threads 1";

pid_t spawn_train(const fs::path& dir, const std::string& extra) {
  const std::string cmd = "exec '" + std::string(MVG_TRAIN_EXE) + "' --out run " + args + extra + " > .out 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::setenv("MVG_DATA_DIR", mvg_test::data_dir().c_str(), 1);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Whether an unfinished write of a file named prefix* is in the folder.
bool has_temporary(const fs::path& dir, const std::string& prefix = "") {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.find(".tmp.") != std::string::npos) return true;
  }
  return false;
}

// Waits until the trainer has loaded its data (its first line after loading), or fails after 2 minutes.
void wait_for_training(const fs::path& dir, pid_t pid) {
  for (auto t0 = std::chrono::steady_clock::now(); std::chrono::steady_clock::now() - t0 < 120s;) {
    if (mvg_test::slurp(dir / ".out").find("data loaded") != std::string::npos) return;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) FAIL("mvg_train ended before training: " << mvg_test::slurp(dir / ".out"));
    std::this_thread::sleep_for(10ms);
  }
  FAIL("mvg_train did not start training within 2 minutes");
}

// The step of the run's last complete checkpoint (0: none yet); checks every file of it loads.
long check_checkpoint(const fs::path& run) {
  if (!fs::exists(run / "train_state.safetensors")) return 0;
  example::model_t net;
  example::optimizer_t opt(net.parameters());
  const auto md = mvg::io::load_train_state((run / "train_state.safetensors").string(), net, opt);
  const long step = std::stol(md.at("mvg.step"));
  // model.safetensors is written after the state, so a kill between them leaves it behind the state
  // (or absent before the first save completes); whatever is there is whole and never ahead.
  if (fs::exists(run / "model.safetensors")) {
    const long model_step = std::stol(mvg::io::load_checkpoint((run / "model.safetensors").string(), net).at("mvg.step"));
    REQUIRE(model_step >= 1);
    REQUIRE(model_step <= step);
  }
  REQUIRE(example::read_log((run / "log.csv").string(), step).size() == std::size_t(step));  // log never behind
  return step;
}
}  // namespace

TEST_CASE("mvg_train killed with SIGKILL, mid-save and at random, always resumes from a whole checkpoint",
          "[examples][train][kill]") {
  mvg_test::scratch s("kill");
  std::mt19937 pick(20261123);  // a fixed schedule of kill moments
  long last = 0;
  int mid_save = 0;
  std::string history;
  const int rounds = 12;
  for (int round = 0; round < rounds; ++round) {
    const bool resume = fs::exists(s / "run" / "train_state.safetensors");
    const pid_t pid = spawn_train(s.dir, resume ? " --resume" : "");
    wait_for_training(s.dir, pid);
    if (round % 3 != 2) {
      // While the training state or the model is being written (their temporaries live 50-150 ms for
      // the tiny preset; the log's and the picture's only a few ms), up to 20 ms into the write.
      const std::string target = round % 3 == 0 ? "train_state" : "model";
      for (auto t0 = std::chrono::steady_clock::now(); !has_temporary(s / "run", target);) {
        REQUIRE(std::chrono::steady_clock::now() - t0 < 60s);
        std::this_thread::sleep_for(1ms);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(pick() % 20));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(pick() % 2500));
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    const bool killed_in_save = has_temporary(s / "run");  // SIGKILL leaves an unfinished write's temporary
    mid_save += killed_in_save;
    history += std::to_string(round) + (killed_in_save ? " in a save, " : " between saves, ");
    const long step = check_checkpoint(s / "run");
    INFO("round " << round);
    REQUIRE(step >= last);  // the last complete checkpoint never goes back
    last = step;
  }
  INFO("kills: " << history);
  REQUIRE(mid_save >= rounds / 2);  // the test did kill saves mid-way
  REQUIRE(last >= 2);

  // Finish two steps past the last checkpoint; compare with a run never interrupted.
  const std::string until = " --until " + std::to_string(last + 2);
  const auto resumed = mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out run " + args + until + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  REQUIRE_FALSE(has_temporary(s / "run"));  // the resumed run cleared what the kills left
  const auto whole = mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out whole " + args + until);
  REQUIRE(whole.code == 0);
  REQUIRE(mvg_test::loss_column(s / "run" / "log.csv") == mvg_test::loss_column(s / "whole" / "log.csv"));
  REQUIRE(mvg_test::slurp(s / "run" / "model.safetensors") == mvg_test::slurp(s / "whole" / "model.safetensors"));
}
