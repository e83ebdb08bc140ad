// mvg_eval as a user runs it: results.csv in SPEC §8's long format with the model and the
// baselines for every set asked for, results.md and one grid per set; bad input fails cleanly.
#include "common/model_choice.hpp"
#include "examples/support.hpp"

namespace fs = std::filesystem;
using mvg_test::run;

TEST_CASE("mvg_eval: results.csv, results.md and grids for the sets asked for", "[examples][eval]") {
  mvg_test::scratch s("eval");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint m.safetensors --out ev --tasks S1,D2-3 --max-queries 3");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(mvg_test::files_in(s / "ev") ==
          std::vector<std::string>{"grids/D2-3.png", "grids/S1.png", "results.csv", "results.md"});
  std::stringstream csv(mvg_test::slurp(s / "ev" / "results.csv"));
  std::string line;
  std::getline(csv, line);
  REQUIRE(line == "task,set,method,metric,value");
  std::set<std::string> keys;
  while (std::getline(csv, line)) {
    const auto last = line.rfind(',');
    keys.insert(line.substr(0, last));
    const double v = std::stod(line.substr(last + 1));
    REQUIRE(std::isfinite(v));
  }
  REQUIRE(keys == std::set<std::string>{
                      "segmentation,S1,mvg,miou", "segmentation,S1,mvg,dice", "segmentation,S1,mvg_blank_prompt,miou",
                      "segmentation,S1,mvg_blank_prompt,dice", "segmentation,S1,copy_prompt_label,miou",
                      "segmentation,S1,copy_prompt_label,dice", "segmentation,S1,label_fusion,miou",
                      "segmentation,S1,label_fusion,dice", "denoising,D2-3,mvg,mae", "denoising,D2-3,mvg,psnr",
                      "denoising,D2-3,mvg,ssim", "denoising,D2-3,input,mae", "denoising,D2-3,input,psnr",
                      "denoising,D2-3,input,ssim"});
  REQUIRE_THAT(mvg_test::slurp(s / "ev" / "results.md"), Catch::Contains("| S1 | miou |"));
}

// "auto" infers each task kind the way the checkpoint mostly trained it: AR where its --ar-share was > 0.5, else MIM.
TEST_CASE("mvg_eval: --mode auto follows the checkpoint's --ar-share per task kind", "[examples][eval]") {
  mvg_test::scratch s("eval_auto");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "paper.safetensors").string(), m);  // no share recorded: the paper's 10% AR
  mvg::io::save_checkpoint((s / "ar.safetensors").string(), m, {{"mvg.train.ar_share", "segmentation=1,denoising=1,inpainting=0.1,synthesis=0.1"}});
  auto csv = [&](const std::string& ckpt, const std::string& mode) {
    const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint " + ckpt + " --out ev --tasks D2-3 --max-queries 2 --mode " +
                                                mode);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return mvg_test::slurp(s / "ev" / "results.csv");
  };
  const auto ar = csv("ar.safetensors", "ar"), mim = csv("ar.safetensors", "mim");
  REQUIRE(ar != mim);  // the two modes differ on these weights, so the comparisons below can fail
  REQUIRE(csv("ar.safetensors", "auto") == ar);
  REQUIRE(csv("paper.safetensors", "auto") == mim);
  // Inpainting stays MIM under that share: auto agrees with --mode mim there, not with ar.
  auto inpaint = [&](const std::string& mode) {
    REQUIRE(run(s.dir, MVG_EVAL_EXE, "--checkpoint ar.safetensors --out ev --tasks inpaint-ch2 --max-queries 2 --mode " +
                                         mode).code == 0);
    return mvg_test::slurp(s / "ev" / "results.csv");
  };
  const auto inpaint_mim = inpaint("mim");
  REQUIRE(inpaint("ar") != inpaint_mim);
  REQUIRE(inpaint("auto") == inpaint_mim);
  mvg::io::save_checkpoint((s / "lying.safetensors").string(), m, {{"mvg.train.ar_share", "denoising=lots"}});
  const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint lying.safetensors --out ev2 --tasks D2-3");
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("lying.safetensors: metadata 'mvg.train.ar_share'"));
  REQUIRE_FALSE(fs::exists(s / "ev2"));
}

TEST_CASE("mvg_eval: a bad checkpoint or task list exits non-zero and writes nothing", "[examples][eval][errors]") {
  mvg_test::scratch s("eval_errors");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  mvg_test::write_bytes(s / "junk.safetensors", {1, 2, 3});
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"--checkpoint missing.safetensors --out ev", "missing.safetensors"},
           {"--checkpoint junk.safetensors --out ev", "junk.safetensors"},
           {"--checkpoint m.safetensors --out ev --tasks S1,S9", "unknown task 'S9'"},
           {"--checkpoint m.safetensors --out ev --mode fast", "--mode"}}) {
    const auto r = run(s.dir, MVG_EVAL_EXE, args);
    INFO(args << "\n" << r.err);
    REQUIRE(r.code != 0);
    REQUIRE_THAT(r.err, Catch::Contains(says));
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE_FALSE(fs::exists(s / "ev" / "results.csv"));
  }
}

// A model trained with another coloring is scored with it: the scheme and the pre-defined class table
// come from the checkpoint, and a checkpoint that names a scheme without its table is refused.
TEST_CASE("mvg_eval: segmentation is colored as the checkpoint was trained", "[examples][eval][coloring]") {
  mvg_test::scratch s("eval_coloring");
  example::model_t m(0);
  const std::string table = "S1/brain=0.5\nS2-lobes/frontal=0.6\n";
  mvg::io::save_checkpoint((s / "random.safetensors").string(), m);
  mvg::io::save_checkpoint((s / "binary.safetensors").string(), m, {{"mvg.train.coloring", "binary"}});
  mvg::io::save_checkpoint((s / "fixed.safetensors").string(), m,
                           {{"mvg.train.coloring", "predefined"}, {"mvg.train.predefined_colors", table}});
  auto score = [&](const std::string& ckpt) {
    const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint " + ckpt + " --out ev --tasks S1 --max-queries 3");
    INFO(r.err);
    REQUIRE(r.code == 0);
    return std::make_pair(r.out, mvg_test::slurp(s / "ev" / "results.csv"));
  };
  const auto [random_out, random_csv] = score("random.safetensors");
  const auto [binary_out, binary_csv] = score("binary.safetensors");
  const auto [fixed_out, fixed_csv] = score("fixed.safetensors");
  CHECK_THAT(random_out, Catch::Contains("random coloring"));
  CHECK_THAT(binary_out, Catch::Contains("binary coloring"));
  CHECK_THAT(fixed_out, Catch::Contains("predefined coloring"));
  // Same weights, other colors shown: other predictions.
  CHECK(binary_csv != random_csv);
  CHECK(fixed_csv != random_csv);
  // --coloring overrides the checkpoint's scheme: binary passes for the random-trained model are the
  // binary-trained checkpoint's (same weights); per-class is accepted; predefined needs a model trained so.
  const auto as_binary = run(s.dir, MVG_EVAL_EXE, "--checkpoint random.safetensors --out ev --tasks S1 --max-queries 3 "
                                                  "--coloring binary");
  REQUIRE(as_binary.code == 0);
  CHECK(mvg_test::slurp(s / "ev" / "results.csv") == binary_csv);
  const auto per_class = run(s.dir, MVG_EVAL_EXE, "--checkpoint random.safetensors --out ev --tasks S1 --max-queries 3 "
                                                  "--coloring per-class");
  REQUIRE(per_class.code == 0);
  CHECK_THAT(per_class.out, Catch::Contains("per-class coloring"));
  const auto wrong = run(s.dir, MVG_EVAL_EXE, "--checkpoint random.safetensors --out ev_wrong --tasks S1 --coloring predefined");
  CHECK(wrong.code == 1);
  CHECK_THAT(wrong.err, Catch::Contains("was trained with random coloring and has no pre-defined class table"));
  mvg::io::save_checkpoint((s / "no_table.safetensors").string(), m, {{"mvg.train.coloring", "predefined"}});
  mvg::io::save_checkpoint((s / "odd.safetensors").string(), m, {{"mvg.train.coloring", "rainbow"}});
  for (const auto& [ckpt, says] : std::vector<std::pair<std::string, std::string>>{
           {"no_table.safetensors", "metadata 'mvg.train.predefined_colors' is missing"},
           {"odd.safetensors", "odd.safetensors: metadata 'mvg.train.coloring': coloring 'rainbow' is not one of"}}) {
    const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint " + ckpt + " --out ev_bad --tasks S1");
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains(says));
    CHECK_FALSE(fs::exists(s / "ev_bad"));
  }
}

TEST_CASE("mvg_eval: --threshold 0.5 is the nearest color, and prompt-area decoding asks for per-class passes",
          "[examples][eval][coloring]") {
  mvg_test::scratch s("eval_decoding");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  auto csv = [&](const std::string& more) {
    const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint m.safetensors --out ev --tasks S1 --max-queries 3 " + more);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return mvg_test::slurp(s / "ev" / "results.csv");
  };
  CHECK(csv("--coloring per-class") == csv("--coloring per-class --threshold 0.5"));
  CHECK(csv("--coloring random") == csv("--coloring random --threshold 0.5"));
  csv("--coloring per-class --decoding prompt-area");
  csv("--coloring per-class --decoding calibrated");
  for (const auto& [args, says, code] : std::vector<std::tuple<std::string, std::string, int>>{
           {"--coloring random --decoding prompt-area", "--decoding prompt-area needs one pass per class", 1},
           {"--coloring binary --decoding calibrated --prompts 2", "--decoding calibrated needs one prompt pair", 1},
           {"--coloring per-class --decoding calibrated --threshold 0.6",
            "--threshold 0.6 applies to --decoding nearest; --decoding calibrated chooses its thresholds itself", 1},
           {"--threshold 1.5", "--threshold: Value 1.5 not in range", 2},
           {"--decoding median", "--decoding: median not in {nearest,prompt-area,calibrated}", 2}}) {
    const auto r = run(s.dir, MVG_EVAL_EXE, "--checkpoint m.safetensors --out ev_bad --tasks S1 " + args);
    INFO(args << "\n" << r.err);
    CHECK(r.code == code);
    CHECK_THAT(r.err, Catch::Contains(says));
    CHECK_FALSE(fs::exists(s / "ev_bad"));
  }
}
