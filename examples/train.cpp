// mvg_train: hybrid-objective training (paper §4.1) over the benchmark's training tasks.
//   mvg_train --out RUN_DIR [--data DIR] [--steps N] [--batch B] [--lr LR] [--seed S] [--threads T] [--resume]
//             [--init timm|mae] [--pretrain] [--finetune FILE] … (--help lists every option)
// Writes RUN_DIR/model.safetensors (weights), train_state.safetensors (weights + AdamW + sampler
// state, for --resume), log.csv and loss.png, every --checkpoint-every steps and at the end.
// Same seed, same thread count → the same loss curve, with or without a resume in between.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "common/ar_share.hpp"
#include "common/benchmark_data.hpp"
#include "common/cli.hpp"
#include "common/model_choice.hpp"
#include "common/progress.hpp"
#include "common/run_lock.hpp"
#include "common/train_log.hpp"

namespace fs = std::filesystem;
using namespace mvg;

struct train_options {
  std::string out, data, tasks;
  long steps = 500, batch = 8, seed = 0, prompts = 1, prompt_distance = 20, min_prompt_distance = 0,
       checkpoint_every = 50, until = 0;
  double lr = 2e-4, clip = 1.0, warmup = 0.05;  // lr: see docs/examples.md (1e-3 diverges at batch 8)
  std::string ar_share;    // over the paper's shares (§4.1); see common/ar_share.hpp
  std::string task_share;  // the task-kind mixture over the paper's (segmentation 0.5)
  std::string set_weights; // segmentation set draw weights, "S2-regions=3,S3=3" (others 1)
  bool augment = false;    // independent augmentation of segmentation prompts and query
  double seg_first_weight = 1.0;  // weight of segmentation's no-prompt AR prediction (objectives/autoregressive.hpp)
  std::string init = "timm";  // weight init scheme: timm or mae (docs/design.md, "init")
  std::string finetune;       // a checkpoint whose encoder this run starts from (paper Appendix B)
  std::string precision = "fp32";  // of the matrix products (mvg/backend/precision.hpp)
  bool pretrain = false;      // masked image modeling on the training images, no labels
  int threads = 0;
  bool resume = false;

  // The options a resumed run must share with the run it continues.
  std::map<std::string, std::string> fixed() const {
    return {{"steps", std::to_string(steps)}, {"batch", std::to_string(batch)},   {"lr", std::to_string(lr)},
            {"seed", std::to_string(seed)},   {"prompts", std::to_string(prompts)}, {"tasks", tasks},
            {"prompt_distance", std::to_string(prompt_distance)},
            {"clip", std::to_string(clip)},   {"warmup", std::to_string(warmup)},
            {"ar_share", example::format_ar_shares(example::parse_ar_shares(ar_share, "--ar-share"))},
            {"init", init}, {"pretrain", pretrain ? "1" : "0"}, {"finetune", finetune},
            {"task_share", example::format_ar_shares(example::parse_task_shares(task_share, "--task-share"))},
            {"set_weights", format_set_weights(parse_set_weights(set_weights))},
            {"min_prompt_distance", std::to_string(min_prompt_distance)}, {"augment", augment ? "1" : "0"},
            {"seg_first_weight", std::to_string(seg_first_weight)}};
  }

  // "NAME=WEIGHT[,NAME=WEIGHT…]" with WEIGHT ≥ 0; the names are checked against the data once loaded.
  static std::map<std::string, double> parse_set_weights(const std::string& text) {
    std::map<std::string, double> w;
    for (const auto& kn : example::split_key_numbers(text)) {
      MVG_CHECK(kn.number && kn.value >= 0 && std::isfinite(kn.value), "--set-weights: '", kn.item,
                "' is not SET=WEIGHT with WEIGHT >= 0");
      w[kn.key] = kn.value;
    }
    return w;
  }
  static std::string format_set_weights(const std::map<std::string, double>& w) {
    std::string out;
    for (const auto& [k, v] : w) {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      out += (out.empty() ? "" : ",") + k + "=" + std::string(buf, r.ptr);
    }
    return out;
  }
};

// What a state written before an option existed trained with: such a state resumes as that value.
static std::map<std::string, std::string> defaults_of_older_states() {
  return {{"ar_share", example::format_ar_shares(example::paper_ar_shares())}, {"init", "timm"},
          {"pretrain", "0"}, {"finetune", ""},
          {"task_share", example::format_ar_shares(example::paper_task_shares())}, {"set_weights", ""},
          {"min_prompt_distance", "0"}, {"augment", "0"}, {"seg_first_weight", std::to_string(1.0)}};
}

static void check_resume_matches(const std::map<std::string, std::string>& md, const train_options& o,
                                 const std::string& file) {
  const auto older = defaults_of_older_states();
  for (const auto& [k, v] : o.fixed()) {
    auto it = md.find("mvg.train." + k);
    const auto fallback = older.find(k);
    MVG_CHECK(it != md.end() || fallback != older.end(), file, ": metadata 'mvg.train.", k,
              "' is missing (not a state mvg_train wrote)");
    const std::string& saved = it != md.end() ? it->second : fallback->second;
    std::string flag = k;
    std::replace(flag.begin(), flag.end(), '_', '-');
    MVG_CHECK(saved == v, "--", flag, " is '", v, "' but the run in ", file, " used '", saved,
              "' (a resumed run keeps its options)");
  }
}

static void train(const train_options& o) {
  if (o.threads > 0) example::backend::set_threads(o.threads);
  // Bad values fail here, before any loading.
  const precision products = example::use_precision(o.precision);
  const auto ar_shares = example::parse_ar_shares(o.ar_share, "--ar-share");
  const auto task_shares = example::parse_task_shares(o.task_share, "--task-share");
  const auto set_weights = train_options::parse_set_weights(o.set_weights);
  MVG_CHECK(o.min_prompt_distance >= 0 && o.min_prompt_distance <= o.prompt_distance, "--min-prompt-distance ",
            o.min_prompt_distance, " must lie in [0, --prompt-distance ", o.prompt_distance, "]");
  MVG_CHECK(o.seg_first_weight >= 0 && o.seg_first_weight <= 1, "--seg-first-weight ", o.seg_first_weight,
            " must lie in [0, 1]");
  MVG_CHECK(o.steps > 0 && o.batch > 0 && o.prompts > 0 && o.checkpoint_every > 0, "--steps, --batch, --prompts and "
            "--checkpoint-every must be positive");
  const fs::path dir = o.out, state_file = dir / "train_state.safetensors";
  const example::run_lock lock(dir);  // before anything reads or cleans the folder
  MVG_CHECK(o.resume || !fs::exists(state_file), state_file.string(), " exists: pass --resume to continue that run, "
            "or choose another --out");

  for (const char* f : {"train_state.safetensors", "model.safetensors", "log.csv", "loss.png"})
    io::remove_stale_temporaries((dir / f).string());  // left by a run killed while saving

  example::model_t net(static_cast<uint64_t>(o.seed), o.init == "mae" ? init_scheme::mae : init_scheme::timm);
  example::optimizer_t opt(net.parameters());
  rng g(static_cast<uint64_t>(o.seed) * 0x9E3779B97F4A7C15ull + 1);
  if (!o.finetune.empty() && !o.resume) {  // a resumed run's weights come from its state
    const auto n = io::load_pretrained(o.finetune, net, [](const std::string& name) {
      return !name.starts_with("decoder.");  // the encoder, as the paper's Table 6
    });
    std::printf("fine-tuning from %s: %zu encoder tensors loaded\n", o.finetune.c_str(), n);
  }
  long start = 0;
  std::vector<example::log_row> log;
  if (o.resume) {
    const auto md = io::load_train_state(state_file.string(), net, opt);
    check_resume_matches(md, o, state_file.string());
    start = std::stol(md.at("mvg.step"));
    g.set_state(md.at("mvg.train.rng"));
    log = example::read_log((dir / "log.csv").string(), start);
    std::printf("resuming %s at step %ld of %ld\n", dir.c_str(), start, o.steps);
    // The precision may change on resume, like the thread count (same values, other rounding).
    const std::string before = md.count("mvg.precision") ? md.at("mvg.precision") : "fp32";
    if (before != precision_name(products))
      std::printf("note: the run so far multiplied in %s; it continues in %s\n", before.c_str(),
                  precision_name(products));
  }

  std::printf("mvg_train: preset %s (%ld parameters), %d threads, %s products; loading the benchmark…\n",
              example::preset_name, long(net.parameters().numel()), example::backend::threads(),
              precision_name(products));
  const auto data = example::load_benchmark_data(example::cfg.image_size, o.data, example::split_list(o.tasks));
  objectives::sampler_options so;
  so.prompt_pairs = std::size_t(o.prompts);
  so.max_prompt_distance = std::size_t(o.prompt_distance);
  so.min_prompt_distance = std::size_t(o.min_prompt_distance);
  so.set_weight = set_weights;
  so.augment = o.augment;
  const objectives::task_sampler sampler(*data.seg, *data.img, so);
  objectives::hybrid_options ho;
  ho.p_autoregressive = ar_shares;
  ho.task_weight = task_shares;
  objectives::ar_objective ar;
  ar.segmentation_first_weight = float(o.seg_first_weight);
  const objectives::hybrid<> schedule(ho, ar);
  const objectives::pretrain_objective pretraining;
  const optim::warmup_cosine lr{o.lr, std::max<int64_t>(1, int64_t(o.warmup * double(o.steps))), o.steps, 0.0};
  std::printf("data loaded in %.1f s\n", data.seconds());

  auto save = [&](long step) {
    std::map<std::string, std::string> md{{"mvg.step", std::to_string(step)}, {"mvg.train.rng", g.state()},
                                          {"mvg.preset", example::preset_name},
                                          {"mvg.train.precision", o.precision},
                                          {"mvg.precision", precision_name(products)}};
    for (const auto& [k, v] : o.fixed()) md["mvg.train." + k] = v;
    fs::create_directories(dir);  // only now: a run that fails before its first step leaves nothing
    // Log first, state second: a kill between them leaves the log ahead of the state, which --resume
    // trims; the other order would leave the state ahead of the log, with rows missing for good.
    io::write_file_atomically((dir / "log.csv").string(), example::log_csv(log));
    io::save_train_state(state_file.string(), net, opt, md);
    io::save_checkpoint((dir / "model.safetensors").string(), net, md);
    example::write_loss_png((dir / "loss.png").string(), log, std::string("mvg_train ") + example::preset_name);
  };

  const long end = o.until > 0 ? std::min(o.until, o.steps) : o.steps;
  long last_saved = start;
  std::array<double, objectives::task_kinds> ema;
  ema.fill(NAN);
  example::progress_bar bar("train", o.steps, start);
  for (long step = start; step < end; ++step) {
    const auto kind = schedule.draw_task(g, sampler.available());
    const auto obj = o.pretrain ? objectives::objective_kind::mim : schedule.draw_objective(kind, g);
    const auto batch = sampler.draw_batch(kind, std::size_t(o.batch), g);
    net.parameters().zero_grad();
    auto loss = o.pretrain ? pretraining(net, batch, g)
                           : schedule.loss(net, batch, obj, g, example::cfg.drop_path > 0 ? &g : nullptr);
    const double value = loss.value().item();
    autograd::backward(loss);
    // The norm is measured even unclipped: a gradient that is no longer finite must stop the run too.
    const double norm = optim::clip_grad_norm(net.parameters(), o.clip > 0 ? o.clip : INFINITY);
    // Before the update: weights stay finite, and the files on disk are the last good checkpoint.
    const double bad = std::isfinite(value) ? norm : value;
    MVG_CHECK(std::isfinite(value) && std::isfinite(norm), "the ", std::isfinite(value) ? "gradient norm" : "loss",
              " became ", std::isnan(bad) ? "NaN" : bad > 0 ? "+inf" : "-inf", " at step ", step, "; the last good checkpoint is ",
              last_saved > 0 ? "step " + std::to_string(last_saved) + " in " + dir.string() : std::string("none"),
              " (start a new run with a lower --lr", products == precision::fp32 ? "" : " or --precision fp32", ")");
    opt.step(lr(step));
    const char* obj_name = o.pretrain ? "pretrain" : obj == objectives::objective_kind::mim ? "mim" : "ar";
    log.push_back({step, objectives::task_name(kind), obj_name, value,
                   lr(step), norm, bar.elapsed()});
    double& e = ema[std::size_t(kind)];
    e = std::isnan(e) ? value : 0.9 * e + 0.1 * value;
    std::string detail = "loss";
    for (int k = 0; k < objectives::task_kinds; ++k)
      if (!std::isnan(ema[std::size_t(k)]))
        detail += " " + std::string(objectives::task_name(objectives::task_kind(k))).substr(0, 3) + " " +
                  eval::format_value(ema[std::size_t(k)], 4);
    bar.update(step + 1, detail);
    if ((step + 1) % o.checkpoint_every == 0 || step + 1 == end) {
      save(step + 1);
      last_saved = step + 1;
    }
  }
  if (start >= end) save(start);
  std::printf("wrote %s/{model.safetensors, train_state.safetensors, log.csv, loss.png} at step %ld\n", dir.c_str(),
              end);
}

int main(int argc, char** argv) {
  train_options o;
  CLI::App app{"Trains the MVG model (preset fixed at build time) on the bundled benchmark with the hybrid "
               "AR/MIM objective.", "mvg_train"};
  app.add_option("--out", o.out, "run folder (created); holds model.safetensors, log.csv, loss.png")->required();
  app.add_option("--data", o.data, "benchmark data folder (default: .cache/data of the repository)");
  app.add_option("--steps", o.steps, "training steps (the learning-rate schedule spans them)")->capture_default_str();
  app.add_option("--batch", o.batch, "samples per step (one task kind a step)")->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate (warm-up, then cosine to 0)")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the weights and of the sampler")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: all)");
  app.add_flag("--resume", o.resume, "continue the run in --out from its last checkpoint, bit-exactly");
  app.add_option("--prompts", o.prompts, "prompt pairs per sample")->capture_default_str();
  app.add_option("--prompt-distance", o.prompt_distance,
                 "prompts come from training slices at most this many slices from the query (test prompts lie up "
                 "to ~19 slices away)")->capture_default_str();
  app.add_option("--min-prompt-distance", o.min_prompt_distance,
                 "training prompts come from at least this many slices away when the pool allows (test prompts lie "
                 "9-19 slices from S1-S3 queries)")->capture_default_str();
  app.add_option("--task-share", o.task_share, "task-kind mixture, e.g. 'segmentation=0.7,denoising=0.1,"
                 "inpainting=0.1,synthesis=0.1' (default: the paper's, segmentation 0.5, the others 1/6 each)");
  app.add_option("--set-weights", o.set_weights, "segmentation set draw weights, e.g. 'S2-regions=3,S3=3' "
                 "(others 1; 0 leaves a set out)");
  app.add_flag("--augment", o.augment, "augment every segmentation prompt pair and the query independently "
               "(random resized crop, gamma, contrast, brightness)");
  app.add_option("--seg-first-weight", o.seg_first_weight, "weight of segmentation's first AR prediction, the one "
                 "with no prompt in view (random colors make it a guess; 1: the paper's plain mean)")
      ->capture_default_str();
  app.add_option("--tasks", o.tasks, "comma-separated sets/tasks to train on (default: every training task)");
  app.add_option("--checkpoint-every", o.checkpoint_every, "steps between checkpoints")->capture_default_str();
  app.add_option("--clip", o.clip, "gradient-norm clipping (0: off)")->capture_default_str();
  app.add_option("--warmup", o.warmup, "warm-up as a fraction of --steps")->capture_default_str();
  app.add_option("--ar-share", o.ar_share, "autoregressive share of a task kind's steps, the rest MIM, e.g. "
                 "'denoising=1,synthesis=1' (default: the paper's segmentation=1, others 0.1)");
  app.add_option("--init", o.init, "weight init: timm (timm's: trunc-normal 0.02, the patch conv at PyTorch's default)"
                 " or mae (MAE's: xavier, sin-cos pos_embed; learns to read the prompt sooner, docs/design.md)")
      ->check(CLI::IsMember({"timm", "mae"}))
      ->capture_default_str();
  app.add_flag("--pretrain", o.pretrain, "masked image modeling on the training images alone (no labels; paper "
               "Appendix B): the start for a later --finetune");
  app.add_option("--finetune", o.finetune, "start the encoder from this checkpoint (e.g. a --pretrain run's "
                 "model.safetensors); the decoder starts from --init");
  app.add_option("--precision", o.precision, example::precision_help())->capture_default_str();
  app.add_option("--until", o.until, "stop after this step (a partial run that --resume continues)");
  return example::run(app, argc, argv, [&] { train(o); });
}
