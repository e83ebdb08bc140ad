// The benchmark evaluator: its numbers on fixed predictions equal the metric functions' values
// computed directly, prompts come from the prompt pool (never the query's slice), and the results
// files follow SPEC §8.
#include <catch2/catch.hpp>

#include "data/support.hpp"
#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/eval/benchmark_eval.hpp"

using namespace mvg;

namespace {
const data::image_task_set& img_tasks() {
  data::image_task_options o;
  o.manifest = std::filesystem::path(MVG_SOURCE_DIR) / "data" / "benchmark.manifest";
  o.data_dir = mvg_test::data_dir();
  o.tasks = {"D2-3", "inpaint-ch2", "X1-b0-to-b1500"};
  return *data::cached_image_tasks(o);
}
data::benchmark subset(const std::vector<std::string>& names) {
  data::benchmark b;
  for (const auto& s : mvg_test::bench().sets)
    if (std::find(names.begin(), names.end(), s.name) != names.end()) b.sets.push_back(s);
  REQUIRE(b.sets.size() == names.size());
  return b;
}
double row(const std::vector<eval::result_row>& rows, const std::string& set, const std::string& method,
           const std::string& metric) {
  for (const auto& r : rows)
    if (r.set == set && r.method == method && r.metric == metric) return r.value;
  FAIL("no row " << set << "/" << method << "/" << metric);
  return 0;
}
// A fixed, imperfect segmentation: the truth with a stripe of every 5th row cleared to background.
eval::label_image damaged(const eval::label_image& truth) {
  eval::label_image p = truth;
  for (std::size_t r = 0; r < p.shape()[0]; r += 5)
    for (std::size_t c = 0; c < p.shape()[1]; ++c) p(r, c) = 0;
  return p;
}
}  // namespace

TEST_CASE("segmentation scores of fixed predictions equal confusion-matrix values", "[eval][benchmark]") {
  const auto b = subset({"S1", "S2-lobes", "S3"});
  const eval::eval_options o{.prompts = 2};
  const eval::seg_method fixed = [](const std::vector<eval::seg_query>& qs) {
    std::vector<eval::label_image> out;
    for (const auto& q : qs) out.push_back(damaged(q.truth()));
    return out;
  };
  std::size_t observed = 0;
  const auto rows = eval::evaluate_segmentation(b, {{"fixed", fixed}, {"copy_prompt_label", eval::copy_prompt_label()}},
                                                o, [&](const eval::seg_query& q, const std::string&, const auto&) {
                                                  ++observed;
                                                  REQUIRE(q.prompts.size() >= 1);  // fewer than asked only when the pool is smaller
                                                  REQUIRE(q.prompts.size() == std::min<std::size_t>(2, q.task->prompt_pool().size()));
                                                  for (auto* p : q.prompts) REQUIRE(p->slice != q.query->slice);
                                                });
  REQUIRE(observed > 0);
  for (const auto& set : b.sets) {
    // Direct: per task a confusion matrix; the set averages every present foreground class.
    double fixed_iou = 0, fixed_dice = 0, copy_iou = 0;
    std::size_t n_fixed = 0, n_copy = 0;
    for (const auto& task : set.tasks) {
      if (task.test.empty() || task.prompt_pool().empty()) continue;
      eval::confusion_matrix f(task.classes.size()), c(task.classes.size());
      for (std::size_t i = 0; i < task.test.size(); ++i) {
        f.add(damaged(task.test[i].label), task.test[i].label);
        const auto p = data::select_prompts(set, task, i, {data::prompt_rule::nearest, 2});
        c.add(task.prompt_pool()[p[0]].label, task.test[i].label);
      }
      for (auto k : f.present_classes()) fixed_iou += f.iou(k), fixed_dice += f.dice(k), ++n_fixed;
      for (auto k : c.present_classes()) copy_iou += c.iou(k), ++n_copy;
    }
    INFO(set.name);
    REQUIRE(row(rows, set.name, "fixed", "miou") == Approx(fixed_iou / double(n_fixed)).epsilon(1e-12));
    REQUIRE(row(rows, set.name, "fixed", "dice") == Approx(fixed_dice / double(n_fixed)).epsilon(1e-12));
    REQUIRE(row(rows, set.name, "copy_prompt_label", "miou") == Approx(copy_iou / double(n_copy)).epsilon(1e-12));
    // Neither a perfect nor an empty score: the comparison has something to compare.
    REQUIRE(row(rows, set.name, "fixed", "miou") > 0.3);
    REQUIRE(row(rows, set.name, "fixed", "miou") < 0.95);
  }
  // S3 has classes met only in its test slabs: their score is reported apart.
  REQUIRE(row(rows, "S3", "fixed", "miou_unseen_classes") > 0);
}

TEST_CASE("image-task scores of fixed predictions equal the metric functions", "[eval][benchmark]") {
  const auto& tasks = img_tasks();
  // A fixed, imperfect restoration: the target shifted by 0.05 (clamped).
  const eval::image_method fixed = [](const std::vector<eval::image_query>& qs) {
    std::vector<eval::gray_image> out;
    for (const auto& q : qs) {
      eval::gray_image p = q.query->target;
      for (auto& v : p) v = std::min(1.f, v + 0.05f);
      out.push_back(p);
    }
    return out;
  };
  const eval::eval_options o{.max_queries = 7};
  const auto rows = eval::evaluate_image_tasks(tasks, {{"fixed", fixed}, {"input", eval::input_baseline()}}, o);
  for (const auto& t : tasks.tasks) {
    INFO(t.name);
    const auto idx = eval::spread(t.test.size(), 7);
    REQUIRE(idx.size() == 7);
    double mae = 0, psnr = 0, ssim = 0, in_mae = 0, hole_mae = 0;
    const auto [a, b0] = eval::intensity_match(t);
    for (std::size_t i : idx) {
      eval::gray_image p = t.test[i].target;
      for (auto& v : p) v = std::min(1.f, v + 0.05f);
      mae += eval::mae(p, t.test[i].target), psnr += eval::psnr(p, t.test[i].target), ssim += eval::ssim(p, t.test[i].target);
      eval::gray_image x = t.test[i].input;
      if (t.kind == data::task_kind::synthesis)
        for (auto& v : x) v = static_cast<float>(std::clamp(a * v + b0, 0.0, 1.0));
      in_mae += eval::mae(x, t.test[i].target);
      if (t.test[i].hole.size()) hole_mae += eval::mae(t.test[i].input, t.test[i].target, t.test[i].hole);
    }
    REQUIRE(row(rows, t.name, "fixed", "mae") == Approx(mae / 7).epsilon(1e-12));
    REQUIRE(row(rows, t.name, "fixed", "psnr") == Approx(psnr / 7).epsilon(1e-12));
    REQUIRE(row(rows, t.name, "fixed", "ssim") == Approx(ssim / 7).epsilon(1e-12));
    REQUIRE(row(rows, t.name, "input", "mae") == Approx(in_mae / 7).epsilon(1e-12));
    REQUIRE(row(rows, t.name, "fixed", "mae") > 0.001);
    if (t.kind == data::task_kind::inpainting)
      REQUIRE(row(rows, t.name, "input", "mae_hole") == Approx(hole_mae / 7).epsilon(1e-12));
    if (t.kind == data::task_kind::synthesis) REQUIRE(std::abs(a - 1.0) + std::abs(b0) > 1e-3);
  }
}

TEST_CASE("results.csv is long-format with the SPEC's metrics only, results.md shows the tables",
          "[eval][benchmark]") {
  const std::vector<eval::result_row> rows{{"segmentation", "S1", "mvg", "miou", 0.9},
                                           {"segmentation", "S1", "copy_prompt_label", "miou", 0.85},
                                           {"segmentation", "S9", "mvg", "miou", std::nan("")},
                                           {"inpainting", "inpaint-ch2", "mvg", "mae_hole", 0.1},
                                           {"inpainting", "inpaint-ch2", "mvg", "psnr", 21.5}};
  REQUIRE(eval::results_csv(rows) ==
          "task,set,method,metric,value\n"
          "segmentation,S1,mvg,miou,0.900000\n"
          "segmentation,S1,copy_prompt_label,miou,0.850000\n"
          "inpainting,inpaint-ch2,mvg,psnr,21.500000\n");
  const auto md = eval::results_markdown(rows, "t", {{"S1", "a note"}});
  REQUIRE_THAT(md, Catch::Contains("| S1 | miou | **0.9000** | 0.8500 |"));
  REQUIRE_THAT(md, Catch::Contains("| S9 | miou | – |"));
  REQUIRE_THAT(md, Catch::Contains("mae_hole"));
  REQUIRE_THAT(md, Catch::Contains("- S1: a note"));
  mvg_test::scratch s("results");
  eval::write_results(s.dir, rows, "t");
  REQUIRE(std::filesystem::file_size(s.dir / "results.csv") == eval::results_csv(rows).size());
  REQUIRE_THROWS_WITH(eval::write_results(s.dir / "missing", rows, "t"), Catch::Contains("missing"));
}
