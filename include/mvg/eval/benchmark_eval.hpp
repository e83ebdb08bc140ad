// mvg/eval/benchmark_eval.hpp: runs methods (the model, the baselines) over every test set of the
// benchmark (shared/DATA.md) and scores them with the metrics of SPEC §7.
// Contract:
//   - A method sees only what a user would give it: prompt pairs from the task's prompt pool
//     (training slabs, or support slices) and the query image; never the truth.
//   - Prompts are chosen by data::select_prompts (segmentation) or by slice distance (image tasks),
//     the same for every method, so baselines and the model are compared on equal terms.
//   - Segmentation: one confusion matrix per task over all its test slices; a set's mIoU/Dice
//     average the foreground classes present in truth or prediction over all its tasks (a per-label
//     set such as S3 thus averages its areas, each pooled over its slices).
//   - Image tasks: MAE, PSNR, SSIM per image on [0,1], averaged over the test pairs; inpainting
//     also inside the hole, CT denoising also as MAE in HU, D3 as the noise2noise-corrected MSE.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/data/prompts.hpp"
#include "mvg/eval/image_metrics.hpp"
#include "mvg/eval/noise2noise.hpp"
#include "mvg/eval/results.hpp"
#include "mvg/eval/segmentation.hpp"

namespace mvg::eval {

using label_image = data::image2d<std::uint8_t>;
using gray_image = data::image2d<float>;

struct eval_options {
  std::size_t prompts = 1;                             // prompt pairs per query
  data::prompt_rule rule = data::prompt_rule::nearest;  // segmentation prompt choice (DATA.md: slice-matched)
  std::size_t max_queries = 0;                         // per task, evenly spaced; 0 = every test query
};

struct seg_query {
  const data::benchmark_set* set = nullptr;
  const data::seg_task* task = nullptr;
  std::size_t index = 0;                         // into task->test
  std::vector<const data::seg_sample*> prompts;  // best first
  const data::seg_sample* query = nullptr;

  const gray_image& image() const { return set->image(*query); }
  const gray_image& prompt_image(std::size_t i) const { return set->image(*prompts[i]); }
  const label_image& prompt_label(std::size_t i) const { return prompts[i]->label; }
  const label_image& truth() const { return query->label; }
};

struct image_query {
  const data::image_task* task = nullptr;
  std::size_t index = 0;                          // into task->test
  std::vector<const data::image_pair*> prompts;   // nearest slices first
  const data::image_pair* query = nullptr;
};

// A method answers a whole task's queries at once, so a model can batch them.
using seg_method = std::function<std::vector<label_image>(const std::vector<seg_query>&)>;
using image_method = std::function<std::vector<gray_image>(const std::vector<image_query>&)>;
template <class M>
struct named {
  std::string name;
  M run;
};
// Called for every prediction (for pictures); may be empty.
using seg_observer = std::function<void(const seg_query&, const std::string& method, const label_image&)>;
using image_observer = std::function<void(const image_query&, const std::string& method, const gray_image&)>;

// Evenly spaced subset of n indices (all when max is 0 or ≥ n).
inline std::vector<std::size_t> spread(std::size_t n, std::size_t max) {
  std::vector<std::size_t> out;
  const std::size_t k = max == 0 || max >= n ? n : max;
  for (std::size_t i = 0; i < k; ++i) out.push_back(k == n ? i : i * n / k);
  return out;
}

inline std::vector<seg_query> segmentation_queries(const data::benchmark_set& set, const data::seg_task& task,
                                                   const eval_options& o) {
  std::vector<seg_query> out;
  if (task.prompt_pool().empty()) return out;
  for (std::size_t i : spread(task.test.size(), o.max_queries)) {
    seg_query q{&set, &task, i, {}, &task.test[i]};
    for (std::size_t p : data::select_prompts(set, task, i, {o.rule, o.prompts})) q.prompts.push_back(&task.prompt_pool()[p]);
    out.push_back(std::move(q));
  }
  return out;
}

inline std::vector<image_query> image_queries(const data::image_task& task, const eval_options& o) {
  std::vector<image_query> out;
  const auto& pool = task.prompt_pool();
  if (pool.empty()) return out;
  std::vector<std::size_t> slices;
  for (const auto& p : pool) slices.push_back(p.slice);
  for (std::size_t i : spread(task.test.size(), o.max_queries)) {
    image_query q{&task, i, {}, &task.test[i]};
    for (std::size_t p : data::nearest_slices(slices, q.query->slice, o.prompts)) q.prompts.push_back(&pool[p]);
    out.push_back(std::move(q));
  }
  return out;
}

// ---- baselines (DATA.md: every results table shows them) ----
// Segmentation: the label of the best (nearest) prompt, unchanged.
inline seg_method copy_prompt_label() {
  return [](const std::vector<seg_query>& qs) {
    std::vector<label_image> out;
    for (const auto& q : qs) out.push_back(q.prompt_label(0));
    return out;
  };
}

// a·x + b minimising Σ(a·input + b − target)² over the task's prompt pool (never its test pairs).
inline std::pair<double, double> intensity_match(const data::image_task& task) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (const auto& p : task.prompt_pool())
    for (std::size_t i = 0; i < p.input.size(); ++i) {
      const double x = p.input.data()[i], y = p.target.data()[i];
      sx += x, sy += y, sxx += x * x, sxy += x * y, n += 1;
    }
  const double var = n * sxx - sx * sx;
  if (n == 0 || var <= 0) return {1.0, 0.0};
  const double a = (n * sxy - sx * sy) / var;
  return {a, (sy - a * sx) / n};
}

// Denoising and inpainting: the input itself. Synthesis: the input, intensity-matched to the target
// modality by a linear map fitted on the training pairs.
inline image_method input_baseline() {
  return [](const std::vector<image_query>& qs) {
    std::vector<gray_image> out;
    for (const auto& q : qs) {
      gray_image x = q.query->input;
      if (q.task->kind == data::task_kind::synthesis) {
        const auto [a, b] = intensity_match(*q.task);
        for (auto& v : x) v = static_cast<float>(std::clamp(a * v + b, 0.0, 1.0));
      }
      out.push_back(std::move(x));
    }
    return out;
  };
}

// ---- scoring ----
inline std::vector<result_row> evaluate_segmentation(const data::benchmark& bench,
                                                     const std::vector<named<seg_method>>& methods,
                                                     const eval_options& o, const seg_observer& observe = {}) {
  std::vector<result_row> rows;
  for (const auto& set : bench.sets) {
    for (const auto& m : methods) {
      double iou = 0, dice = 0, iou_unseen = 0;
      std::size_t classes = 0, unseen = 0;
      for (const auto& task : set.tasks) {
        const auto qs = segmentation_queries(set, task, o);
        if (qs.empty()) continue;
        const auto preds = m.run(qs);
        MVG_CHECK(preds.size() == qs.size(), "evaluate_segmentation: method ", m.name, " returned ", preds.size(),
                  " predictions for ", qs.size(), " queries of ", set.name, "/", task.name);
        confusion_matrix cm(task.classes.size());
        for (std::size_t i = 0; i < qs.size(); ++i) {
          cm.add(preds[i], qs[i].truth());
          if (observe) observe(qs[i], m.name, preds[i]);
        }
        for (std::size_t c : cm.present_classes()) {
          iou += cm.iou(c), dice += cm.dice(c), ++classes;
          if (task.unseen_in_training() && !set.test_only) iou_unseen += cm.iou(c), ++unseen;
        }
      }
      if (classes == 0) continue;
      rows.push_back({"segmentation", set.name, m.name, "miou", iou / double(classes)});
      rows.push_back({"segmentation", set.name, m.name, "dice", dice / double(classes)});
      if (unseen) rows.push_back({"segmentation", set.name, m.name, "miou_unseen_classes", iou_unseen / double(unseen)});
    }
  }
  return rows;
}

// The CT window of a denoising task in HU, or 0 when its intensities are not CT numbers.
inline double hu_range(const data::image_task& t) { return t.recipe == "ct-lowdose" ? 3000.0 : 0.0; }

inline std::vector<result_row> evaluate_image_tasks(const data::image_task_set& tasks,
                                                    const std::vector<named<image_method>>& methods,
                                                    const eval_options& o, const image_observer& observe = {}) {
  std::vector<result_row> rows;
  for (const auto& task : tasks.tasks) {
    const auto qs = image_queries(task, o);
    if (qs.empty()) continue;
    const std::string kind = data::task_name(task.kind);
    for (const auto& m : methods) {
      const auto preds = m.run(qs);
      MVG_CHECK(preds.size() == qs.size(), "evaluate_image_tasks: method ", m.name, " returned ", preds.size(),
                " predictions for ", qs.size(), " queries of ", task.name);
      image_scores whole, hole;
      noise2noise_score n2n;
      const bool is_n2n = task.recipe == "dwi-repeat";
      for (std::size_t i = 0; i < qs.size(); ++i) {
        const auto& pair = *qs[i].query;
        whole.add(preds[i], pair.target);
        if (pair.hole.size() > 0) hole.add(preds[i], pair.target, pair.hole);
        if (is_n2n) n2n.add(preds[i], pair.input, pair.target, pair.region);
        if (observe) observe(qs[i], m.name, preds[i]);
      }
      rows.push_back({kind, task.name, m.name, "mae", whole.mean_mae()});
      rows.push_back({kind, task.name, m.name, "psnr", whole.mean_psnr()});
      rows.push_back({kind, task.name, m.name, "ssim", whole.mean_ssim()});
      if (hole.count()) {
        rows.push_back({kind, task.name, m.name, "mae_hole", hole.mean_mae()});
        rows.push_back({kind, task.name, m.name, "psnr_hole", hole.mean_psnr()});
        rows.push_back({kind, task.name, m.name, "ssim_hole", hole.mean_ssim()});
      }
      if (hu_range(task) > 0) rows.push_back({kind, task.name, m.name, "mae_hu", whole.mean_mae() * hu_range(task)});
      if (is_n2n) rows.push_back({kind, task.name, m.name, "n2n_mse_vs_clean", n2n.corrected_mse()});
    }
  }
  return rows;
}

}  // namespace mvg::eval
