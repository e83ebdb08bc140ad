// mvg_train as a user runs it: a short run leaves a loadable checkpoint, a log and a loss curve;
// --resume reproduces the uninterrupted run bit for bit; misuse exits non-zero with one line.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>
#include <set>

#include "common/model_choice.hpp"
#include "examples/support.hpp"

namespace fs = std::filesystem;
using mvg_test::loss_column;
using mvg_test::run;

namespace {
const std::string args = "--tasks S1,inpaint-ch2 --steps 4 --batch 2 --checkpoint-every 2 --threads 2 --seed 3";
// The largest |a − b| over one parameter of two models.
double max_difference(const example::model_t& a, const example::model_t& b, const std::string& name) {
  const auto x = a.parameters()[name].value().to_host(), y = b.parameters()[name].value().to_host();
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) d = std::max(d, double(std::abs(x[i] - y[i])));
  return d;
}
}  // namespace

TEST_CASE("mvg_train: a short run writes a loadable checkpoint, a log and a loss curve, and resumes bit-exactly",
          "[examples][train]") {
  mvg_test::scratch s("train");
  const auto full = run(s.dir, MVG_TRAIN_EXE, "--out full " + args);
  INFO(full.err);
  REQUIRE(full.code == 0);
  REQUIRE(mvg_test::files_in(s / "full") ==
          std::vector<std::string>{"log.csv", "loss.png", "model.safetensors", "train_state.safetensors"});

  example::model_t trained, init(3);
  const auto md = mvg::io::load_checkpoint((s / "full" / "model.safetensors").string(), trained);
  REQUIRE(md.at("mvg.step") == "4");
  REQUIRE(md.at("mvg.train.prompts") == "1");
  REQUIRE(md.at("mvg.train.init") == "timm");
  REQUIRE(trained.parameters().values().to_host() != init.parameters().values().to_host());
  const auto losses = loss_column(s / "full" / "log.csv");
  REQUIRE(losses.size() == 4);
  for (const auto& l : losses) {
    const double v = std::stod(l.substr(l.rfind(',') + 1));
    REQUIRE(std::isfinite(v));
    REQUIRE(v > 0);
  }
  const auto png = mvg::data::read_image_u8(s / "full" / "loss.png");
  REQUIRE(png.shape()[0] > 100);

  // Interrupted after step 2, then resumed: the same losses and the very same weights.
  const auto part = run(s.dir, MVG_TRAIN_EXE, "--out part " + args + " --until 2");
  REQUIRE(part.code == 0);
  REQUIRE(loss_column(s / "part" / "log.csv").size() == 2);
  const auto resumed = run(s.dir, MVG_TRAIN_EXE, "--out part " + args + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  REQUIRE_THAT(resumed.out, Catch::Contains("resuming"));
  REQUIRE(loss_column(s / "part" / "log.csv") == losses);
  REQUIRE(mvg_test::slurp(s / "part" / "model.safetensors") == mvg_test::slurp(s / "full" / "model.safetensors"));
}

TEST_CASE("mvg_train: misuse exits non-zero with one line naming the problem", "[examples][train][errors]") {
  mvg_test::scratch s("train_errors");
  struct bad {
    std::string args, says;
    int code;
  };
  REQUIRE(run(s.dir, MVG_TRAIN_EXE, "--out done " + args + " --until 1").code == 0);
  for (const auto& b : std::vector<bad>{
           {"--out done " + args, "pass --resume", 1},                       // never overwrite a run
           {"--out done " + args + " --batch 3 --resume", "--batch", 2},      // given twice
           {"--out done --tasks S1,inpaint-ch2 --steps 4 --batch 3 --checkpoint-every 2 --seed 3 --resume",
            "--batch is '3' but the run", 1},                                 // a resume keeps its options
           {"--out fresh " + args + " --resume", "train_state.safetensors", 1},  // nothing to resume
           {"--out x --steps abc", "--steps", 2},
           {"--out x --ar-share denoising=1.5", "'denoising=1.5' is not KIND=FRACTION", 1},
           {"--out x --ar-share cooking=1", "'cooking=1' is not KIND=FRACTION", 1},
           {"--out x --tasks S1,Nope", "unknown task 'Nope'", 1},
           {"--out x --init xavier", "--init: xavier not in {timm,mae}", 2},
           {"--out x --task-share segmentation=0,denoising=0,inpainting=0,synthesis=0", "gives every task kind a share of 0", 1},
           {"--out x --set-weights S1=-1", "'S1=-1' is not SET=WEIGHT", 1},
           {"--out x --tasks S1,inpaint-ch2 --set-weights S3=2", "'S3', which is not a training set here", 1},
           {"--out x --min-prompt-distance 30", "--min-prompt-distance 30 must lie in [0, --prompt-distance 20]", 1},
           {"--out x --min-prompt-distance 5 --seg-prompt-distance 3",
            "--seg-prompt-distance 3 must be 0 (the same as --prompt-distance) or at least 5", 1},
           {"--out x --min-prompt-distance 5 --late-prompt-distance 3",
            "--late-prompt-distance 3 must be 0 (none) or at least 5", 1},
           {"--out x --late-prompt-distance 20 --late-from 1", "--late-from 1 must lie in (0, 1)", 1},
           {"--out x --seg-first-weight 2", "--seg-first-weight 2 must lie in [0, 1]", 1},
           {"--out x --background-weight 0", "--background-weight 0 must lie in (0, 1]", 1},
           {"--out x --synthetic-regions 2", "--synthetic-regions 2 must lie in [0, 1]", 1},
           {"--out done " + args + " --synthetic-regions 0.5 --resume", "--synthetic-regions is '0.500000' but the run", 1},
           {"--out x --precision fp16", "--precision: 'fp16' is not a precision (expected fp32, tf32 or bf16)", 1},
           {"--out done " + args + " --augment --resume", "--augment is '1' but the run", 1},
           {"--out done " + args + " --init mae --resume", "--init is 'mae' but the run", 1},
           {"--out done " + args + " --position-heads 1 --resume", "--position-heads is '1' but the run", 1},
           {"--out done " + args + " --lr-scale qkv=2 --resume", "--lr-scale is 'qkv=2' but the run", 1},
           {"--out x --lr-scale qkv", "'qkv' is not PATTERN=FACTOR with FACTOR > 0", 1},
           {"--out x --lr-scale nope=2", "lr multiplier 'nope': no parameter name contains it", 1},
           {"--out x --position-heads 4", "position heads: 4 per block, but the model has 3 heads", 1},
           {"--out x --coloring rainbow", "--coloring: rainbow not in {random,binary,predefined}", 2},
           {"--out done " + args + " --coloring binary --resume", "--coloring is 'binary' but the run", 1},
           {"--steps 3", "--out is required", 2}}) {
    const auto r = run(s.dir, MVG_TRAIN_EXE, b.args);
    INFO(b.args << "\n" << r.err);
    REQUIRE(r.code == b.code);
    REQUIRE_THAT(r.err, Catch::Contains(b.says));
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  REQUIRE_FALSE(fs::exists(s / "fresh" / "model.safetensors"));
  REQUIRE_FALSE(fs::exists(s / "x"));
}

TEST_CASE("mvg_train refuses a run folder another process holds, and takes it once that one is gone",
          "[examples][train][errors]") {
  mvg_test::scratch s("train_lock");
  fs::create_directories(s / "busy");
  const int fd = ::open((s / "busy" / ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);  // as a running mvg_train holds it
  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out busy " + args + " --until 1");
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("busy is in use by another mvg_train") && Catch::Contains(".lock"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(mvg_test::files_in(s / "busy").empty());  // it wrote nothing, and cleaned nothing
  ::close(fd);  // the holder exits
  const auto again = run(s.dir, MVG_TRAIN_EXE, "--out busy " + args + " --until 1");
  INFO(again.err);
  CHECK(again.code == 0);
  CHECK(fs::exists(s / "busy" / "model.safetensors"));
}

TEST_CASE("mvg_train: --ar-share sets the objective of a task kind's steps, the others keep the paper's",
          "[examples][train]") {
  mvg_test::scratch s("train_ar_share");
  std::map<std::string, std::set<std::string>> seen;  // "<inpainting share>:<task kind>" → objectives logged
  for (const std::string share : {"0", "1"}) {
    const auto r = run(s.dir, MVG_TRAIN_EXE, "--out r" + share +
                                                 " --tasks S1,inpaint-ch2 --steps 8 --batch 2 --threads 2 --seed 3 "
                                                 "--ar-share inpainting=" + share);
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const auto& row : loss_column(s / ("r" + share) / "log.csv")) {
      std::stringstream f(row);
      std::string step, task, objective;
      std::getline(f, step, ','), std::getline(f, task, ','), std::getline(f, objective, ',');
      seen[share + ":" + task].insert(objective);
    }
    example::model_t m;
    REQUIRE(mvg::io::load_checkpoint((s / ("r" + share) / "model.safetensors").string(), m).at(
                "mvg.train.ar_share") == "segmentation=1,denoising=0.1,inpainting=" + share + ",synthesis=0.1");
  }
  REQUIRE(seen.at("0:inpainting") == std::set<std::string>{"mim"});
  REQUIRE(seen.at("1:inpainting") == std::set<std::string>{"ar"});
  REQUIRE(seen.at("0:segmentation") == std::set<std::string>{"ar"});
}

TEST_CASE("mvg_train --init mae starts from MAE's init, and a state from before --init resumes as timm",
          "[examples][train]") {
  mvg_test::scratch s("train_init");
  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out mae " + args + " --until 1 --init mae");
  INFO(r.err);
  REQUIRE(r.code == 0);
  example::model_t trained, mae(3, mvg::init_scheme::mae), timm(3);
  REQUIRE(mvg::io::load_checkpoint((s / "mae" / "model.safetensors").string(), trained).at("mvg.train.init") == "mae");
  // One AdamW step moves each weight by about the lr (2e-4) at most: still MAE's sin-cos table.
  CHECK(max_difference(trained, mae, "pos_embed") < 1e-3);
  CHECK(max_difference(trained, timm, "pos_embed") > 0.5);

  // A state from before the flag lacks mvg.train.init: it resumes as timm and refuses mae.
  REQUIRE(run(s.dir, MVG_TRAIN_EXE, "--out old " + args + " --until 1").code == 0);
  const auto state = s / "old" / "train_state.safetensors";
  mvg_test::edit_header(state, s / "old" / "edited", [](auto& j) { j["__metadata__"].erase("mvg.train.init"); });
  fs::rename(s / "old" / "edited", state);
  const auto as_mae = run(s.dir, MVG_TRAIN_EXE, "--out old " + args + " --resume --init mae");
  REQUIRE(as_mae.code == 1);
  REQUIRE_THAT(as_mae.err, Catch::Contains("--init is 'mae' but the run") && Catch::Contains("used 'timm'"));
  const auto resumed = run(s.dir, MVG_TRAIN_EXE, "--out old " + args + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  REQUIRE(loss_column(s / "old" / "log.csv").size() == 4);
}

TEST_CASE("mvg_train --position-heads builds the heads and the code at init, and both it and --lr-scale are stored",
          "[examples][train]") {
  mvg_test::scratch s("train_heads");
  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out heads " + args + " --until 1 --position-heads 1 --lr-scale qkv=2");
  INFO(r.err);
  REQUIRE(r.code == 0);
  example::model_t trained, with(3, mvg::init_scheme::timm, {1}), without(3);
  const auto md = mvg::io::load_checkpoint((s / "heads" / "model.safetensors").string(), trained);
  CHECK(md.at("mvg.train.position_heads") == "1");
  CHECK(md.at("mvg.train.lr_scale") == "qkv=2");
  // One AdamW step (lr 2e-4, 4e-4 on qkv) moves a weight by about that: still the built init, not timm's.
  for (const char* name : {"pos_embed", "blocks.0.attn.qkv.weight"}) {
    INFO(name);
    CHECK(max_difference(trained, with, name) < 1e-3);
    CHECK(max_difference(trained, without, name) > 0.05);
  }
}

TEST_CASE("mvg_train --pixel-skip trains the decoder's skip, and mvg_eval builds the decoder the checkpoint needs",
          "[examples][train][pixel-skip]") {
  mvg_test::scratch s("train_skip");
  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out skip " + args + " --until 1 --pixel-skip");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto ckpt = (s / "skip" / "model.safetensors").string();
  REQUIRE(mvg::io::decoder_options_of(ckpt).pixel_skip);
  example::model_t trained(0, mvg::init_scheme::timm, {}, {.pixel_skip = true});
  const auto md = mvg::io::load_checkpoint(ckpt, trained);
  CHECK(md.at("mvg.train.pixel_skip") == "1");
  // It starts at zero; one AdamW step moves it.
  const auto w = trained.parameters()["decoder.skip.weight"].value().to_host();
  CHECK(*std::max_element(w.begin(), w.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }) != 0.f);

  const auto resumed = run(s.dir, MVG_TRAIN_EXE, "--out skip " + args + " --resume");
  CHECK(resumed.code == 1);
  CHECK_THAT(resumed.err, Catch::Contains("--pixel-skip is '0' but the run in"));
  const auto ev = run(s.dir, MVG_EVAL_EXE, "--checkpoint skip/model.safetensors --out ev --tasks S1 --max-queries 2");
  INFO(ev.err);
  CHECK(ev.code == 0);
  CHECK(fs::exists(s / "ev" / "results.csv"));
}

TEST_CASE("mvg_train --copy-gate, --refine and --label-fusion need --pixel-skip (--fusion-holes --label-fusion), "
          "train their weights, and "
          "mvg_eval builds the decoder with them",
          "[examples][train][copy-gate][refine][label-fusion]") {
  mvg_test::scratch s("train_gate");
  for (const std::string flag : {"--copy-gate", "--refine", "--label-fusion"}) {
    const auto alone = run(s.dir, MVG_TRAIN_EXE, "--out alone " + args + " --until 1 " + flag);
    CHECK(alone.code != 0);
    CHECK_THAT(alone.err, Catch::Contains(flag) && Catch::Contains("--pixel-skip"));
    CHECK_FALSE(fs::exists(s / "alone" / "model.safetensors"));
  }
  const auto holes_alone = run(s.dir, MVG_TRAIN_EXE, "--out alone " + args + " --until 1 --pixel-skip --fusion-holes");
  CHECK(holes_alone.code != 0);
  CHECK_THAT(holes_alone.err, Catch::Contains("--fusion-holes") && Catch::Contains("--label-fusion"));
  CHECK_FALSE(fs::exists(s / "alone" / "model.safetensors"));

  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out gate " + args + " --until 1 --pixel-skip --copy-gate --refine --label-fusion --fusion-holes");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto ckpt = (s / "gate" / "model.safetensors").string();
  const auto dec = mvg::io::decoder_options_of(ckpt);
  REQUIRE((dec.pixel_skip && dec.copy_gate && dec.refine && dec.label_fusion && dec.fusion_holes));
  example::model_t trained(0, mvg::init_scheme::timm, {}, dec);
  const auto md = mvg::io::load_checkpoint(ckpt, trained);
  CHECK(md.at("mvg.train.copy_gate") == "1");
  CHECK(md.at("mvg.train.refine") == "1");
  CHECK(md.at("mvg.train.label_fusion") == "1");
  CHECK(md.at("mvg.train.fusion_holes") == "1");
  for (const char* name : {"decoder.gate.weight", "decoder.refine_out.weight", "decoder.fusion.weight",
                           "decoder.fusion_holes.weight"}) {  // all start at zero
    INFO(name);
    const auto w = trained.parameters()[name].value().to_host();
    CHECK(*std::max_element(w.begin(), w.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }) != 0.f);
  }
  const auto ev = run(s.dir, MVG_EVAL_EXE, "--checkpoint gate/model.safetensors --out ev --tasks S1 --max-queries 2");
  INFO(ev.err);
  CHECK(ev.code == 0);
  CHECK(fs::exists(s / "ev" / "results.csv"));
}

TEST_CASE("mvg_train --pretrain learns from the images alone, --finetune starts the encoder from its checkpoint, "
          "--start-from every weight",
          "[examples][train]") {
  mvg_test::scratch s("train_pretrain");
  const auto pre = run(s.dir, MVG_TRAIN_EXE, "--out pre --tasks S1,inpaint-ch2 --steps 2 --batch 2 --threads 2 "
                                             "--seed 5 --pretrain");
  INFO(pre.err);
  REQUIRE(pre.code == 0);
  for (const auto& row : loss_column(s / "pre" / "log.csv")) REQUIRE_THAT(row, Catch::Contains(",pretrain,"));
  example::model_t pretrained, tuned, fresh(3);
  REQUIRE(mvg::io::load_checkpoint((s / "pre" / "model.safetensors").string(), pretrained).at("mvg.train.pretrain") ==
          "1");

  const std::string from = (s / "pre" / "model.safetensors").string();
  const auto ft = run(s.dir, MVG_TRAIN_EXE, "--out ft " + args + " --until 1 --finetune " + from);
  INFO(ft.err);
  REQUIRE(ft.code == 0);
  REQUIRE_THAT(ft.out, Catch::Contains("encoder tensors loaded"));
  const auto md = mvg::io::load_checkpoint((s / "ft" / "model.safetensors").string(), tuned);
  REQUIRE(md.at("mvg.train.finetune") == from);
  REQUIRE(md.at("mvg.train.pretrain") == "0");
  // One AdamW step moves a weight by about the lr (2e-4): the encoder is still the pretrained one (seed 5),
  // the decoder still this run's own init (seed 3).
  auto distance = [&](const example::model_t& a, const example::model_t& b, const std::string& name) {
    const auto x = a.parameters()[name].value().to_host(), y = b.parameters()[name].value().to_host();
    double d = 0;
    for (std::size_t i = 0; i < x.size(); ++i) d = std::max(d, double(std::abs(x[i] - y[i])));
    return d;
  };
  for (const std::string name : {"pos_embed", "blocks.0.attn.qkv.weight", "mask_token"}) {
    CHECK(distance(tuned, pretrained, name) < 2e-3);
    CHECK(distance(tuned, fresh, name) > 0.02);
  }
  CHECK(distance(tuned, fresh, "decoder.conv1.weight") < 2e-3);
  CHECK(distance(tuned, pretrained, "decoder.conv1.weight") > 0.02);

  // --start-from: every tensor, the decoder too; here on U2's support slices (paper Table 4's adaptation).
  const auto whole = run(s.dir, MVG_TRAIN_EXE, "--out whole --tasks U2 --support-of U2 --steps 2 --batch 2 --threads 2 "
                                               "--seed 3 --until 1 --freeze pos_embed --start-from " + from);
  INFO(whole.err);
  REQUIRE(whole.code == 0);
  REQUIRE_THAT(whole.out, Catch::Contains("all 111 tensors loaded"));
  example::model_t adapted;
  const auto wmd = mvg::io::load_checkpoint((s / "whole" / "model.safetensors").string(), adapted);
  REQUIRE(wmd.at("mvg.train.start_from") == from);
  REQUIRE(wmd.at("mvg.train.support_of") == "U2");
  REQUIRE(wmd.at("mvg.train.freeze") == "pos_embed");
  for (const std::string name : {"pos_embed", "blocks.0.attn.qkv.weight", "decoder.conv1.weight"}) {
    CHECK(distance(adapted, pretrained, name) < 2e-3);
    CHECK(distance(adapted, fresh, name) > 0.02);
  }
  // --freeze: pos_embed is the checkpoint's to the bit; the weights around it did take the step.
  CHECK(distance(adapted, pretrained, "pos_embed") == 0.0);
  CHECK(distance(adapted, pretrained, "blocks.0.attn.qkv.weight") > 0.0);
  const auto unknown = run(s.dir, MVG_TRAIN_EXE, "--out w4 " + args + " --freeze pos_embedding");
  REQUIRE(unknown.code == 1);
  REQUIRE_THAT(unknown.err, Catch::Contains("--freeze: no parameter named 'pos_embedding'"));
  REQUIRE_THAT(loss_column(s / "whole" / "log.csv").at(0), Catch::Contains(",segmentation,"));
  const auto both = run(s.dir, MVG_TRAIN_EXE, "--out w2 " + args + " --finetune " + from + " --start-from " + from);
  REQUIRE(both.code == 1);
  REQUIRE_THAT(both.err, Catch::Contains("pass one"));
  const auto not_u = run(s.dir, MVG_TRAIN_EXE, "--out w3 " + args + " --support-of S1");
  REQUIRE(not_u.code == 1);
  REQUIRE_THAT(not_u.err, Catch::Contains("'S1' is a training set"));

  const auto missing = run(s.dir, MVG_TRAIN_EXE, "--out ft2 " + args + " --finetune nowhere.safetensors");
  REQUIRE(missing.code == 1);
  REQUIRE_THAT(missing.err, Catch::Contains("nowhere.safetensors"));
  REQUIRE_FALSE(fs::exists(s / "ft2"));
  const auto other = run(s.dir, MVG_TRAIN_EXE, "--out ft " + args + " --resume");
  REQUIRE(other.code == 1);
  REQUIRE_THAT(other.err, Catch::Contains("--finetune is '' but the run"));
}

TEST_CASE("mvg_train: --task-share and --set-weights choose what a run trains on, and are stored", "[examples][train]") {
  mvg_test::scratch s("train_mixture");
  // Segmentation only, and among its sets only S1 (S2-lobes at weight 0): every logged step says so.
  const auto r = run(s.dir, MVG_TRAIN_EXE,
                     "--out r --tasks S1,S2-lobes,inpaint-ch2 --steps 6 --batch 2 --threads 2 --seed 3 "
                     "--task-share segmentation=1,inpainting=0 --set-weights S2-lobes=0 --augment "
                     "--min-prompt-distance 8 --seg-first-weight 0 --background-weight 0.5 --synthetic-regions 0.5 "
                     "--seg-prompt-distance 10");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto rows = loss_column(s / "r" / "log.csv");
  REQUIRE(rows.size() == 6);
  for (const auto& row : rows) CHECK_THAT(row, Catch::Contains(",segmentation,ar,"));
  example::model_t m;
  const auto md = mvg::io::load_checkpoint((s / "r" / "model.safetensors").string(), m);
  CHECK(md.at("mvg.train.task_share") == "segmentation=1,denoising=0.16666666666666666,inpainting=0,synthesis=0.16666666666666666");
  CHECK(md.at("mvg.train.set_weights") == "S2-lobes=0");
  CHECK(md.at("mvg.train.augment") == "1");
  CHECK(md.at("mvg.train.min_prompt_distance") == "8");
  CHECK(md.at("mvg.train.seg_first_weight") == "0.000000");
  CHECK(md.at("mvg.train.background_weight") == "0.500000");
  CHECK(md.at("mvg.train.synthetic_regions") == "0.500000");
  CHECK(md.at("mvg.train.seg_prompt_distance") == "10");
}

TEST_CASE("mvg_train --late-prompt-distance: the same steps up to --late-from, other prompts after, stored",
          "[examples][train]") {
  mvg_test::scratch s("train_late_prompts");
  const std::string common = "--tasks S1 --steps 6 --batch 2 --threads 2 --seed 5 --prompt-distance 2";
  const auto near = run(s.dir, MVG_TRAIN_EXE, "--out near " + common);
  const auto curriculum = run(s.dir, MVG_TRAIN_EXE, "--out cur " + common + " --late-prompt-distance 40 --late-from 0.5");
  INFO(near.err << curriculum.err);
  REQUIRE((near.code == 0 && curriculum.code == 0));
  const auto a = loss_column(s / "near" / "log.csv"), b = loss_column(s / "cur" / "log.csv");
  REQUIRE((a.size() == 6 && b.size() == 6));
  // Steps 0-2 draw prompts within 2 slices in both runs; from step 3 the curriculum draws from 40.
  for (int i = 0; i < 3; ++i) CHECK(a[i] == b[i]);
  int differ = 0;
  for (int i = 3; i < 6; ++i) differ += a[i] != b[i];
  CHECK(differ > 0);
  example::model_t m;
  const auto md = mvg::io::load_checkpoint((s / "cur" / "model.safetensors").string(), m);
  CHECK(md.at("mvg.train.late_prompt_distance") == "40");
  CHECK(md.at("mvg.train.late_from") == "0.500000");
}

TEST_CASE("mvg_train --precision is stored, and a loss that is no longer finite stops the run before the update",
          "[examples][train]") {
  mvg_test::scratch s("train_precision");
  // bf16 runs wherever asked: on a CPU without bf16 it computes fp32 and says so once.
  const auto r = run(s.dir, MVG_TRAIN_EXE, "--out r " + args + " --precision bf16");
  INFO(r.err);
  REQUIRE(r.code == 0);
  example::model_t m;
  const auto md = mvg::io::load_checkpoint((s / "r" / "model.safetensors").string(), m);
  CHECK(md.at("mvg.train.precision") == "bf16");
  const std::string used = mvg::precision_name(example::backend::set_precision(mvg::precision::bf16));
  example::backend::set_precision(mvg::precision::fp32);
  CHECK(md.at("mvg.precision") == used);
  CHECK((used == "bf16") == (r.out.find("products run in fp32") == std::string::npos));
  // The precision may change on resume, like the thread count: an fp32 run continues in bf16.
  REQUIRE(run(s.dir, MVG_TRAIN_EXE, "--out mixed " + args + " --until 2").code == 0);
  const auto resumed = run(s.dir, MVG_TRAIN_EXE, "--out mixed " + args + " --precision bf16 --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK((used == "bf16") == (resumed.out.find("it continues in bf16") != std::string::npos));
  CHECK(mvg::io::load_checkpoint((s / "mixed" / "model.safetensors").string(), m).at("mvg.train.precision") == "bf16");

  // A learning rate of 1e30 throws the weights to infinity after the first update: the second step's
  // loss is not finite. The run stops there with one line, and the files on disk are step 1's.
  const auto bad = run(s.dir, MVG_TRAIN_EXE,
                       "--out diverged --tasks S1 --steps 4 --batch 2 --checkpoint-every 1 --threads 2 --seed 3 "
                       "--warmup 0 --lr 1e30 --clip 0");
  INFO(bad.err);
  REQUIRE(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("became") && Catch::Contains("at step 1;") &&
                          Catch::Contains("the last good checkpoint is step 1 in"));
  // One line of error (stderr also carries the progress bar): the last one, and no other names the program.
  CHECK(bad.err.find("mvg_train:") == bad.err.rfind("mvg_train:"));
  CHECK(bad.err.substr(bad.err.rfind('\n', bad.err.size() - 2) + 1).starts_with("mvg_train: the "));
  const auto kept = mvg::io::load_checkpoint((s / "diverged" / "model.safetensors").string(), m);
  CHECK(kept.at("mvg.step") == "1");
  for (float v : m.parameters().values().to_host()) REQUIRE(std::isfinite(v));
}
