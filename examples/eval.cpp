// mvg_eval: every test set of the bundled benchmark, scored for the model and the honest baselines.
//   mvg_eval --checkpoint FILE --out DIR [--data CACHE_DIR]
// Writes DIR/results.md, DIR/results.csv (task,set,method,metric,value) and DIR/grids/<set>.png.
// Prompts: for each query the nearest prompt-pool slices (DATA.md: slice-matched), the same for the
// model and the baselines; the prompt count defaults to the one the checkpoint was trained with.
#include <filesystem>

#include <mvg/eval/label_fusion_baseline.hpp>

#include "common/benchmark_data.hpp"
#include "common/cli.hpp"
#include "common/example_grids.hpp"
#include "common/model_choice.hpp"
#include "common/progress.hpp"

namespace fs = std::filesystem;
using namespace mvg;

struct eval_cli {
  std::string checkpoint, out, data, tasks, mode = "auto", rule = "nearest", coloring = "auto";
  std::size_t prompts = 0, max_queries = 0, examples = 4, dataset_axis = 2;
  std::vector<std::string> datasets;  // Decathlon / nnU-Net raw folders: their validation subjects
  std::uint64_t seed = 0;
  float threshold = objectives::nearest_color_threshold;
  std::string decoding = "nearest";
  bool mirror = false;
  int threads = 0;
  std::string precision = "fp32";  // of the matrix products (mvg/backend/precision.hpp)
};

static data::prompt_rule rule_of(const std::string& r) {
  return r == "position" ? data::prompt_rule::position
         : r == "fixed"  ? data::prompt_rule::fixed
         : r == "retrieval" ? data::prompt_rule::retrieval
                            : data::prompt_rule::nearest;
}

// The model's size is the checkpoint's (example/common/model_choice.hpp).
template <mvg::config C>
static void evaluate(const eval_cli& o, const std::string& preset) {
  if (o.threads > 0) example::backend::set_threads(o.threads);
  example::use_precision(o.precision);
  example::model_of<C> net(0, init_scheme::timm, {}, io::decoder_options_of(o.checkpoint));  // the checkpoint's decoder
  const auto md = io::load_checkpoint(o.checkpoint, net);
  eval::eval_options eo;
  eo.prompts = o.prompts;
  if (eo.prompts == 0) eo.prompts = md.count("mvg.train.prompts") ? std::stoul(md.at("mvg.train.prompts")) : 1;
  eo.rule = rule_of(o.rule), eo.max_queries = o.max_queries;
  eval::model_method_options mo;
  mo.seed = o.seed;
  // auto: each task kind the way it was mostly trained (objectives::modes_for_shares); ar/mim: every kind so.
  mo.mode = objectives::modes_for_shares(objectives::parse_ar_shares(
      md.count("mvg.train.ar_share") ? md.at("mvg.train.ar_share") : "", o.checkpoint + ": metadata 'mvg.train.ar_share'"));
  // Segmentation is colored as the model was trained (a checkpoint from before the option: random), unless
  // --coloring asks otherwise: binary splits any model's prompt into one pass per class.
  const std::string trained = md.count("mvg.train.coloring") ? md.at("mvg.train.coloring") : "random";
  const std::string coloring = o.coloring == "auto" ? trained : o.coloring;
  MVG_CHECK(coloring != "predefined" || trained == "predefined", "--coloring predefined: ", o.checkpoint,
            " was trained with ", trained, " coloring and has no pre-defined class table");
  mo.one_class_per_pass = coloring == "per-class";
  mo.threshold = o.threshold;
  mo.mirror = o.mirror;
  mo.prompt_area = o.decoding == "prompt-area";
  mo.calibrate = o.decoding == "calibrated";
  MVG_CHECK(o.decoding == "nearest" || mo.one_class_per_pass || coloring == "binary", "--decoding ", o.decoding,
            " needs one pass per class: --coloring per-class or binary (this run: ", coloring, ")");
  MVG_CHECK(o.decoding == "nearest" || o.threshold == objectives::nearest_color_threshold, "--threshold ",
            o.threshold, " applies to --decoding nearest; --decoding ", o.decoding, " chooses its thresholds itself");
  MVG_CHECK(!mo.calibrate || eo.prompts == 1, "--decoding calibrated needs one prompt pair (this run: ", eo.prompts,
            ")");
  mo.coloring = objectives::coloring_of(mo.one_class_per_pass ? "random" : coloring,
                                        o.checkpoint + ": metadata 'mvg.train.coloring'");
  if (mo.coloring == objectives::coloring_scheme::predefined) {
    MVG_CHECK(md.count("mvg.train.predefined_colors"), o.checkpoint, ": metadata 'mvg.train.predefined_colors' is "
              "missing; a model trained with pre-defined coloring stores its class table there");
    mo.predefined = objectives::predefined_colors::parse(md.at("mvg.train.predefined_colors"),
                                                        o.checkpoint + ": metadata 'mvg.train.predefined_colors'");
  }
  if (o.mode != "auto")
    mo.mode.fill(o.mode == "mim" ? objectives::inference_mode::mim : objectives::inference_mode::autoregressive);
  std::string modes;
  for (int k = 0; k < objectives::task_kinds; ++k)
    modes += std::string(k ? ", " : "") + objectives::task_name(objectives::task_kind(k)) +
             (mo.mode[std::size_t(k)] == objectives::inference_mode::mim ? " MIM" : " AR");
  std::printf("mvg_eval: %s (step %s), %zu prompt pair(s), inference %s, %s coloring; loading the benchmark…\n",
              o.checkpoint.c_str(), md.count("mvg.step") ? md.at("mvg.step").c_str() : "?", eo.prompts, modes.c_str(),
              coloring.c_str());
  const auto data = example::load_benchmark_data(C.image_size, o.data, example::split_list(o.tasks), o.datasets,
                                                 o.dataset_axis);
  example::example_grids grids(o.examples);
  grids.choose(*data.seg, eo), grids.choose(*data.img, eo);

  auto blank = mo;
  blank.blank_prompt_labels = true;  // the prompt ablation: how much of the score comes from the prompt
  const std::vector<eval::named<eval::seg_method>> seg_methods{{"mvg", eval::model_segmenter(net, mo)},
                                                               {"mvg_blank_prompt", eval::model_segmenter(net, blank)},
                                                               {"copy_prompt_label", eval::copy_prompt_label()},
                                                               {"label_fusion", eval::label_fusion_baseline()}};
  const std::vector<eval::named<eval::image_method>> img_methods{{"mvg", eval::model_restorer(net, mo)},
                                                                 {"input", eval::input_baseline()}};
  long total = 0, done = 0;
  for (const auto& set : data.seg->sets)
    for (const auto& t : set.tasks)
      total += long(seg_methods.size() * eval::segmentation_queries(set, t, eo).size());
  for (const auto& t : data.img->tasks) total += long(img_methods.size() * eval::image_queries(t, eo).size());
  example::progress_bar bar("eval", total, 0, std::max(1L, total / 10));
  auto seg_seen = [&](const eval::seg_query& q, const std::string& m, const eval::label_image& p) {
    grids.observe(q, m, p), bar.update(++done, q.set->name);
  };
  auto img_seen = [&](const eval::image_query& q, const std::string& m, const eval::gray_image& p) {
    grids.observe(q, m, p), bar.update(++done, q.task->name);
  };
  auto rows = eval::evaluate_segmentation(*data.seg, seg_methods, eo, seg_seen);
  const auto img_rows = eval::evaluate_image_tasks(*data.img, img_methods, eo, img_seen);
  rows.insert(rows.end(), img_rows.begin(), img_rows.end());

  std::map<std::string, std::string> notes;
  for (const auto& t : data.img->tasks) {
    if (!t.caveat.empty()) notes[t.name] = t.caveat;
    if (t.measured.count("noise_hu"))
      notes[t.name] = "noise at this canvas is " + eval::format_value(t.measured.at("noise_hu"), 1) + " HU (" +
                      eval::format_value(t.measured.at("noise_hu_native"), 1) +
                      " HU at the native 256² grid): resizing averages most of it away";
  }
  for (const auto& set : data.seg->sets) {
    std::size_t skipped = 0;
    for (const auto& t : set.tasks) skipped += !t.test.empty() && t.prompt_pool().empty();
    if (skipped) notes[set.name] = std::to_string(skipped) + " task(s) without any prompt slice are not scored";
  }
  const std::string title = "mvg results: preset " + preset + ", " +
                            fs::path(o.checkpoint).filename().string() + " at step " +
                            (md.count("mvg.step") ? md.at("mvg.step") : "?") + ", " + std::to_string(eo.prompts) +
                            " prompt pair(s), " + o.rule + " prompts, " +
                            (o.max_queries ? "≤ " + std::to_string(o.max_queries) + " queries per task" : "every test query");
  fs::create_directories(o.out);
  eval::write_results(o.out, rows, title, notes);
  auto names = [](const auto& methods) {
    std::vector<std::string> n;
    for (const auto& m : methods) n.push_back(m.name);
    return n;
  };
  const auto files = grids.write(fs::path(o.out) / "grids", names(seg_methods), names(img_methods));
  std::printf("%s\nwrote %s/results.md, %s/results.csv and %zu grids in %s/grids/\n",
              eval::results_markdown(rows, title, notes).c_str(), o.out.c_str(), o.out.c_str(), files.size(),
              o.out.c_str());
}

int main(int argc, char** argv) {
  eval_cli o;
  CLI::App app{"Scores a checkpoint (any preset: its size is read from the file) on every test set of the bundled "
               "benchmark, or on the validation subjects of your own datasets, next to the baselines.", "mvg_eval"};
  app.add_option("--checkpoint", o.checkpoint, "weights written by mvg_train (model.safetensors)")->required();
  app.add_option("--out", o.out, "folder for results.md, results.csv and grids/ (created)")->required();
  app.add_option("--data", o.data, "benchmark data folder (default: .cache/data of the repository)");
  app.add_option("--tasks", o.tasks, "comma-separated sets/tasks to evaluate (default: all)");
  app.add_option("--prompts", o.prompts, "prompt pairs per query (default: as trained)");
  app.add_option("--prompt-rule", o.rule, "segmentation prompt choice")
      ->check(CLI::IsMember({"nearest", "position", "fixed", "retrieval"}))
      ->capture_default_str();
  app.add_option("--mode", o.mode, "inference mode: auto (each task kind the way the checkpoint mostly trained it: "
                 "AR where its --ar-share was above 0.5, else MIM), ar, mim")
      ->check(CLI::IsMember({"auto", "ar", "mim"}))
      ->capture_default_str();
  app.add_option("--coloring", o.coloring, "segmentation coloring: auto (as the checkpoint was trained), random (one "
                 "pass, a random level per class), per-class (one pass per class present in the prompt labels, each at "
                 "a random level, merged), binary (one pass per class at level 1, merged) or predefined (a model "
                 "trained so)")
      ->check(CLI::IsMember({"auto", "random", "per-class", "binary", "predefined"}))
      ->capture_default_str();
  app.add_option("--threshold", o.threshold, "segmentation decoding: a pixel is background unless its prediction "
                 "exceeds this share of its class's gray level (0.5: the nearest color; --decoding nearest only)")
      ->check(CLI::Range(0.05, 0.99))->capture_default_str();
  app.add_option("--decoding", o.decoding, "segmentation decoding: nearest (the nearest color, or --threshold), "
                 "prompt-area (per class, the threshold at which the prediction covers as many pixels as the prompts "
                 "show, within [0.25, 0.9]) or calibrated (per class, the threshold that best segments the prompt "
                 "slice from another labelled slice as far from it as the query; a second pass per class); the "
                 "last two need per-class or binary coloring")
      ->check(CLI::IsMember({"nearest", "prompt-area", "calibrated"}))->capture_default_str();
  app.add_flag("--mirror", o.mirror, "segmentation: test-time mirroring (nnU-Net's), each pass also run on the "
               "left-right mirrored prompts and query, the predictions averaged");
  app.add_option("--max-queries", o.max_queries, "score at most this many queries per task (0: all)");
  app.add_option("--examples", o.examples, "queries per set shown in the grids")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the random coloring")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: all)");
  app.add_option("--precision", o.precision, example::precision_help())->capture_default_str();
  app.add_option("--dataset", o.datasets, "your own Decathlon / nnU-Net raw folder: scores its validation subjects "
                 "(docs/own-data.md); repeatable; the bundled benchmark comes along only for --tasks");
  app.add_option("--dataset-axis", o.dataset_axis, "axis --dataset slices along (as in training)")
      ->check(CLI::Range(0, 2))->capture_default_str();
  return example::run(app, argc, argv, [&] {
    const std::string preset = example::preset_of_checkpoint(o.checkpoint);
    example::with_preset(preset, [&]<mvg::config C>() { evaluate<C>(o, preset); });
  });
}
