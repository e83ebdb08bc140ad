// mvg_train: hybrid-objective training (paper §4.1) over the benchmark's training tasks and/or the
// user's own datasets (--dataset DIR, Decathlon / nnU-Net raw layout).
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
#include <optional>

#include "common/benchmark_data.hpp"
#include "common/cli.hpp"
#include "common/model_choice.hpp"
#include "common/progress.hpp"
#include "common/run_lock.hpp"
#include "common/train_log.hpp"
#include "common/train_options.hpp"

namespace fs = std::filesystem;
using namespace mvg;

template <mvg::config C>
static void train(const example::train_options& o, const std::string& preset) {
  using model_t = example::model_of<C>;
  using optimizer_t = example::optimizer_of<C>;
  if (o.threads > 0) example::backend::set_threads(o.threads);
  // Bad values fail here, before any loading.
  const precision products = example::use_precision(o.precision);
  const auto ar_shares = objectives::parse_ar_shares(o.ar_share, "--ar-share");
  const auto task_shares = objectives::parse_task_shares(o.task_share, "--task-share");
  const auto set_weights = objectives::parse_set_weights(o.set_weights, "--set-weights");
  const auto lr_scales = objectives::parse_lr_scales(o.lr_scale, "--lr-scale");
  o.check();
  const fs::path dir = o.out, state_file = dir / "train_state.safetensors";
  const example::run_lock lock(dir);  // before anything reads or cleans the folder
  MVG_CHECK(o.resume || !fs::exists(state_file), state_file.string(), " exists: pass --resume to continue that run, "
            "or choose another --out");

  for (const char* f : {"train_state.safetensors", "model.safetensors", "log.csv", "loss.png"})
    io::remove_stale_temporaries((dir / f).string());  // left by a run killed while saving

  // A resumed run keeps its options; they decide the model (--pixel-skip), so they are checked first.
  if (o.resume && fs::exists(state_file))
    io::check_resume_options(io::safetensors_file::read_metadata(state_file.string()), o.fixed(),
                             example::defaults_of_older_states(), state_file.string());
  model_t net(static_cast<uint64_t>(o.seed), o.init == "mae" ? init_scheme::mae : init_scheme::timm,
              nn::position_heads_options{int(o.position_heads)},
              nn::decoder_options{.pixel_skip = o.pixel_skip, .copy_gate = o.copy_gate, .refine = o.refine,
                                  .label_fusion = o.label_fusion, .fusion_holes = o.fusion_holes});
  optimizer_t opt(net.parameters());
  (void)optim::lr_ranges::of(net.parameters(), lr_scales);  // a pattern no parameter name contains fails here
  rng g(static_cast<uint64_t>(o.seed) * 0x9E3779B97F4A7C15ull + 1);
  if (!o.finetune.empty() && !o.resume) {  // a resumed run's weights come from its state
    const auto n = io::load_pretrained(o.finetune, net, [](const std::string& name) {
      return !name.starts_with("decoder.");  // the encoder, as the paper's Table 6
    });
    std::printf("fine-tuning from %s: %zu encoder tensors loaded\n", o.finetune.c_str(), n);
  }
  if (!o.start_from.empty() && !o.resume) {
    const std::size_t n = io::load_pretrained(o.start_from, net, [](const std::string&) { return true; });
    std::printf("starting from %s: all %zu tensors loaded\n", o.start_from.c_str(), n);
  }
  long start = 0;
  std::vector<example::log_row> log;
  if (o.resume) {
    const auto md = io::load_train_state(state_file.string(), net, opt);
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
              preset.c_str(), long(net.parameters().numel()), example::backend::threads(),
              precision_name(products));
  const auto data = example::load_benchmark_data(C.image_size, o.data, example::split_list(o.tasks),
                                                 o.datasets, std::size_t(o.dataset_axis));
  objectives::sampler_options so;
  so.prompt_pairs = std::size_t(o.prompts);
  so.max_prompt_distance = std::size_t(o.prompt_distance);
  so.min_prompt_distance = std::size_t(o.min_prompt_distance);
  so.segmentation_prompt_distance = std::size_t(o.seg_prompt_distance);
  so.set_weight = set_weights;
  so.augment = o.augment;
  so.self_prompt_share = o.self_prompts;
  so.background_weight = float(o.background_weight);
  so.synthetic_share = o.synthetic_regions;
  so.support_sets = example::split_list(o.support_of);
  so.coloring = objectives::coloring_of(o.coloring, "--coloring");
  // From the loaded sets, which --tasks and --dataset fix for a run, so a resumed run rebuilds the same table.
  if (so.coloring == objectives::coloring_scheme::predefined) so.predefined = objectives::predefined_colors::of(*data.seg);
  const objectives::task_sampler sampler(*data.seg, *data.img, so);
  // The curriculum's second sampler, built only when asked for: the same draws but for the prompt distance.
  std::optional<objectives::task_sampler> late_sampler;
  if (o.late_prompt_distance > 0) {
    objectives::sampler_options late_so = so;
    late_so.max_prompt_distance = std::size_t(o.late_prompt_distance);
    late_sampler.emplace(*data.seg, *data.img, late_so);
  }
  const long late_step = o.late_step();  // o.steps without a curriculum
  objectives::hybrid_options ho;
  ho.p_autoregressive = ar_shares;
  ho.task_weight = task_shares;
  objectives::ar_objective ar;
  ar.segmentation_first_weight = float(o.seg_first_weight);
  const objectives::hybrid<> schedule(ho, ar);
  const objectives::pretrain_objective pretraining;
  const optim::warmup_cosine lr{o.lr, std::max<int64_t>(1, int64_t(o.warmup * double(o.steps))), o.steps, 0.0};
  objectives::step_options so_step{std::size_t(o.batch), o.clip, o.pretrain, example::split_list(o.freeze),
                                   lr_scales};
  for (const auto& name : so_step.frozen)
    MVG_CHECK(net.parameters().contains(name), "--freeze: no parameter named '", name, "' (the checkpoint's names, "
              "e.g. pos_embed, role_embed, blocks.0.attn.qkv.weight)");
  std::printf("data loaded in %.1f s\n", data.seconds());

  auto save = [&](long step) {
    std::map<std::string, std::string> md{{"mvg.step", std::to_string(step)}, {"mvg.train.rng", g.state()},
                                          {"mvg.preset", preset},
                                          {"mvg.train.precision", o.precision},
                                          {"mvg.precision", precision_name(products)}};
    for (const auto& [k, v] : o.fixed()) md["mvg.train." + k] = v;
    if (so.coloring == objectives::coloring_scheme::predefined) md["mvg.train.predefined_colors"] = so.predefined.format();
    fs::create_directories(dir);  // only now: a run that fails before its first step leaves nothing
    // Log first, state second: a kill between them leaves the log ahead of the state, which --resume
    // trims; the other order would leave the state ahead of the log, with rows missing for good.
    io::write_file_atomically((dir / "log.csv").string(), example::log_csv(log));
    io::save_train_state(state_file.string(), net, opt, md);
    io::save_checkpoint((dir / "model.safetensors").string(), net, md);
    example::write_loss_png((dir / "loss.png").string(), log, "mvg_train " + preset);
  };

  const long end = o.until > 0 ? std::min(o.until, o.steps) : o.steps;
  long last_saved = start;
  example::loss_summary losses;
  example::progress_bar bar("train", o.steps, start);
  for (long step = start; step < end; ++step) {
    const auto r = objectives::train_step(net, opt, lr(step), schedule, pretraining,
                                          step < late_step ? sampler : *late_sampler, so_step, g);
    // Not finite: the update was skipped, so the files on disk are the last good checkpoint.
    const double bad = std::isfinite(r.loss) ? r.grad_norm : r.loss;
    MVG_CHECK(r.finite(), "the ", std::isfinite(r.loss) ? "gradient norm" : "loss", " became ",
              std::isnan(bad) ? "NaN" : bad > 0 ? "+inf" : "-inf", " at step ", step, "; the last good checkpoint is ",
              last_saved > 0 ? "step " + std::to_string(last_saved) + " in " + dir.string() : std::string("none"),
              " (start a new run with a lower --lr", products == precision::fp32 ? "" : " or --precision fp32", ")");
    log.push_back({step, objectives::task_name(r.kind), r.objective, r.loss, lr(step), r.grad_norm, bar.elapsed()});
    bar.update(step + 1, losses.add(r.kind, r.loss));
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
  example::train_options o;
  CLI::App app{"Trains the MVG model (a preset chosen by --preset) on the bundled benchmark and/or your own "
               "Decathlon-format datasets with the hybrid AR/MIM objective.", "mvg_train"};
  o.add_to(app);
  return example::run(app, argc, argv, [&] {
    // A resumed run keeps its size; a new one takes --preset (default: the build's MVG_PRESET).
    const auto state = fs::path(o.out) / "train_state.safetensors";
    const std::string stored = o.resume && fs::exists(state) ? example::preset_of_checkpoint(state.string()) : "";
    MVG_CHECK(o.preset.empty() || stored.empty() || o.preset == stored, "--preset ", o.preset, ": the run in ", o.out,
              " was trained with preset ", stored, " (a resumed run keeps its size)");
    const std::string preset = !o.preset.empty() ? o.preset : !stored.empty() ? stored : example::preset_name;
    example::with_preset(preset, [&]<mvg::config C>() { train<C>(o, preset); });
  });
}
