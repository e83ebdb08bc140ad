// Determinism (issue 11): the same seed and thread count give a bit-identical loss curve and weights
// run after run; a different seed does not (so the comparison can fail). Resume bit-exactness is in
// train_test.cpp and kill_test.cpp; what a different thread count changes is in docs/reliability.md.
#include "examples/support.hpp"

namespace {
const std::string args = "--tasks S1,D2-5 --steps 3 --batch 2 --checkpoint-every 3 --threads 2";
}

TEST_CASE("mvg_train: same seed and threads → identical losses and weights, another seed does not",
          "[examples][train][determinism]") {
  mvg_test::scratch s("determinism");
  for (const char* run : {"a", "b"}) REQUIRE(mvg_test::run(s.dir, MVG_TRAIN_EXE, std::string("--out ") + run + " --seed 4 " + args).code == 0);
  REQUIRE(mvg_test::run(s.dir, MVG_TRAIN_EXE, "--out c --seed 5 " + args).code == 0);
  const auto a = mvg_test::loss_column(s / "a" / "log.csv");
  REQUIRE(a.size() == 3);
  REQUIRE(a == mvg_test::loss_column(s / "b" / "log.csv"));
  REQUIRE(mvg_test::slurp(s / "a" / "model.safetensors") == mvg_test::slurp(s / "b" / "model.safetensors"));
  REQUIRE(mvg_test::slurp(s / "a" / "train_state.safetensors") ==
          mvg_test::slurp(s / "b" / "train_state.safetensors"));
  REQUIRE(a != mvg_test::loss_column(s / "c" / "log.csv"));
  REQUIRE(mvg_test::slurp(s / "a" / "model.safetensors") != mvg_test::slurp(s / "c" / "model.safetensors"));
}
