// scripts/run_main.sh's run-folder rule (the README's "MVG_STEPS=2000 ./scripts/run_main.sh trains
// longer" once failed after a finished run: it resumed the 1,000-step run with --steps 2000, which
// --resume refuses). MVG_DRY_RUN=1 prints the commands the script would run.
#include "examples/support.hpp"

namespace fs = std::filesystem;

namespace {
mvg_test::run_result main_job(const fs::path& out, const std::string& env) {
  const fs::path script = fs::path(MVG_SOURCE_DIR) / "scripts" / "run_main.sh";
  return mvg_test::run(out.parent_path(), "env", "MVG_DRY_RUN=1 MVG_OUT='" + out.string() + "' " + env + " '" +
                                                     script.string() + "'");
}
}  // namespace

TEST_CASE("main job: a re-run resumes its run, another MVG_STEPS starts a run of its own", "[examples][main-job]") {
  mvg_test::scratch s("main_job");
  const fs::path out = s / "out";
  auto first = main_job(out, "");
  INFO(first.err);
  REQUIRE(first.code == 0);
  CHECK_THAT(first.out, Catch::Contains("--out " + (out / "run").string() + " --steps 1000"));
  CHECK_THAT(first.out, !Catch::Contains("--resume"));

  fs::create_directories(out / "run");
  std::ofstream(out / "run" / "train_state.safetensors") << "a finished 1000-step run";
  const auto again = main_job(out, "");
  CHECK_THAT(again.out, Catch::Contains("--out " + (out / "run").string() + " --steps 1000") &&
                            Catch::Contains("--resume"));

  const auto longer = main_job(out, "MVG_STEPS=2000");
  INFO(longer.err);
  REQUIRE(longer.code == 0);
  CHECK_THAT(longer.out, Catch::Contains("--out " + (out / "run-2000").string() + " --steps 2000"));
  CHECK_THAT(longer.out, !Catch::Contains("--resume"));
  CHECK_THAT(longer.out, Catch::Contains("--checkpoint " + (out / "run-2000" / "model.safetensors").string()));

  CHECK(main_job(out, "MVG_STEPS=2k").code == 2);
}
