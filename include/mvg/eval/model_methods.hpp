// mvg/eval/model_methods.hpp: a trained model as an evaluation method (eval/benchmark_eval.hpp).
//   segmentation: colored as the model was trained (coloring.hpp): random, one coloring of the classes
//     in its prompt labels per query (seeded by the query, so a run is reproducible), or pre-defined
//     (the model's class table), then prediction → nearest-color decoding; binary, one pass per class
//     in the prompt labels, merged (merge_per_class); random with one_class_per_pass, likewise at random
//     levels;
//   image tasks: prompt pairs (input, target) and the query input → the predicted target. For
//     inpainting the known pixels are kept and the prediction fills the hole (the usual protocol;
//     the scores inside the hole are reported apart).
// The prompt ablation (blank_prompt_labels): the same queries and the same color mapping, but every
// prompt label fed as background only. A model that reads its prompt loses its score there; one that
// segments from the query image alone keeps it.
// Queries are answered in batches; a query whose pool gave fewer prompts than the others repeats its
// last prompt, since one batch needs one sequence length.
#pragma once
#include <algorithm>
#include <array>

#include <xtensor/xmanipulation.hpp>

#include "mvg/eval/benchmark_eval.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/hybrid.hpp"
#include "mvg/objectives/inference.hpp"
#include "mvg/objectives/predefined_colors.hpp"

namespace mvg::eval {

struct model_method_options {
  std::size_t batch = 8;
  // Per task kind, as each is mostly trained under the paper's schedule: segmentation AR, the others MIM.
  std::array<objectives::inference_mode, objectives::task_kinds> mode =
      objectives::modes_for_shares(objectives::hybrid_options{}.p_autoregressive);
  std::uint64_t seed = 0;
  objectives::palette colors;
  objectives::coloring_scheme coloring = objectives::coloring_scheme::random;  // as the model was trained
  // Random coloring, one class per pass: each class present in the prompt labels is shown alone, at a
  // random palette level, and the passes are merged (merge_per_class). Single-class tasks are answered
  // exactly as with one pass; a multi-class prompt becomes the single-class samples most training
  // tasks are (docs/results.md, "Coloring").
  bool one_class_per_pass = false;
  objectives::predefined_colors predefined;  // the model's class table, for coloring_scheme::predefined
  bool blank_prompt_labels = false;  // the prompt ablation (above)
  float threshold = objectives::nearest_color_threshold;  // decoding: where background ends (coloring.hpp)
  bool prompt_area = false;  // per-class decoding thresholds from the prompts' areas (prompt_area_threshold)
  float prompt_area_lo = 0.25f, prompt_area_hi = 0.9f;  // its range
  // Test-time mirroring (nnU-Net's default): every segmentation pass also runs on the sample mirrored left
  // to right, prompts and query alike, and the two predictions are averaged after mirroring it back.
  bool mirror = false;
  // Support-calibrated decoding (per-class passes, one prompt pair): per query and class, the threshold
  // at which the model best segments its prompt slice, itself prompted by another labelled slice of the
  // prompt pool as far from it as the query is (objectives::calibrated_threshold). Only labelled prompt
  // slices are used, never the query's label; it costs a second pass per class.
  bool calibrate = false;
};

namespace detail {
// The calibration prompt for q: a prompt-pool slice other than q's prompt, from the prompt's volume, whose
// distance to the prompt is nearest the query's (across subjects: another subject's slice nearest the
// prompt's relative position). Null when the pool has none.
inline const data::seg_sample* calibration_prompt(const seg_query& q) {
  const data::seg_sample& p = *q.prompts[0];
  const auto& pool = q.task->prompt_pool();
  const bool across = q.set->across_subjects();
  const double want = across ? q.set->relative_position(p)
                             : std::abs(double(q.query->slice) - double(p.slice));
  const data::seg_sample* best = nullptr;
  double best_d = 0;
  for (const auto& s : pool) {
    if (&s == &p || (across ? s.volume == p.volume : s.volume != p.volume)) continue;
    const double d = across ? std::abs(q.set->relative_position(s) - want)
                            : std::abs(std::abs(double(s.slice) - double(p.slice)) - want);
    if (!best || d < best_d) best = &s, best_d = d;
  }
  return best;
}

// Answers n samples (build(i) makes sample i) in batches of `batch`; finish(i, prediction).
template <class Model, class Build, class Finish>
void answer_in_batches(const Model& m, std::size_t n, std::size_t batch, objectives::inference_mode mode,
                       Build build, Finish finish) {
  for (std::size_t start = 0; start < n; start += batch) {
    const std::size_t end = std::min(n, start + batch);
    std::vector<objectives::sample> samples;
    std::size_t pairs = 0;
    for (std::size_t i = start; i < end; ++i) {
      samples.push_back(build(i));
      pairs = std::max(pairs, samples.back().pairs());
    }
    for (auto& s : samples)
      while (s.pairs() < pairs) {
        s.prompt_images.push_back(s.prompt_images.back());
        s.prompt_labels.push_back(s.prompt_labels.back());
      }
    const auto preds = objectives::predict(m, samples, mode);
    for (std::size_t i = start; i < end; ++i) finish(i, preds[i - start]);
  }
}
}  // namespace detail

template <class Model>
seg_method model_segmenter(const Model& m, model_method_options o = {}) {
  MVG_CHECK(o.coloring != objectives::coloring_scheme::predefined || !o.predefined.value.empty(),
            "model_segmenter: pre-defined coloring without the model's class table");
  return [&m, o](const std::vector<seg_query>& qs) {
    // One unit per forward pass: a query's pass (objectives::coloring_passes).
    struct unit {
      std::size_t query, pass;
      bool mirrored = false;
      bool calibration = false;  // the pass on the calibration pair (model_method_options::calibrate)
    };
    std::vector<unit> units;
    std::vector<objectives::coloring_passes> passes(qs.size());
    std::vector<const data::seg_sample*> calibration(qs.size(), nullptr);
    std::vector<std::vector<double>> prompt_pixels(qs.size());  // per query and class (prompt-area decoding)
    for (std::size_t i = 0; i < qs.size(); ++i) {
      const auto& q = qs[i];
      std::vector<const objectives::label_map*> labels;
      for (std::size_t p = 0; p < q.prompts.size(); ++p) labels.push_back(&q.prompt_label(p));
      auto classes = objectives::prompt_classes(labels);
      // Nothing prompted: background. Random coloring still passes it, so that batches (and their
      // results) stay those of earlier versions.
      if (classes.empty() && o.coloring != objectives::coloring_scheme::random) continue;
      rng g(o.seed ^ (0x9E3779B97F4A7C15ull * (q.index + 1)) ^
            std::hash<std::string>{}(q.set->name + "/" + q.task->name));
      objectives::color_mapping fixed;
      if (o.coloring == objectives::coloring_scheme::predefined) fixed = o.predefined.mapping(*q.set, *q.task, classes);
      passes[i] = objectives::plan_passes(std::move(classes), o.coloring, o.one_class_per_pass, g, o.colors, &fixed);
      passes[i].threshold = o.threshold;
      if (o.prompt_area && !passes[i].classes.empty()) {
        MVG_CHECK(passes[i].per_class, "prompt-area decoding needs one pass per class (per-class or binary coloring)");
        const objectives::label_map blank = xt::zeros<std::uint8_t>(q.prompt_label(0).shape());
        std::vector<const objectives::label_map*> fed;
        for (const auto* l : labels) fed.push_back(o.blank_prompt_labels ? &blank : l);
        prompt_pixels[i] = objectives::mean_prompt_pixels(passes[i].classes, fed);
      }
      if (o.calibrate && !passes[i].classes.empty()) {
        MVG_CHECK(passes[i].per_class && q.prompts.size() == 1, "calibrated decoding needs one pass per class "
                  "(per-class or binary coloring) and one prompt pair");
        calibration[i] = detail::calibration_prompt(q);
      }
      for (bool cal : {false, true}) {
        if (cal && !calibration[i]) continue;
        for (std::size_t k = 0; k < passes[i].maps.size(); ++k) {
          units.push_back({i, k, false, cal});
          if (o.mirror) units.push_back({i, k, true, cal});  // right after its pass: finish() pairs them
        }
      }
    }
    auto flip = [](const gray_image& x) { return gray_image(xt::flip(x, 1)); };
    auto build = [&](std::size_t u) {
      const auto& q = qs[units[u].query];
      const bool mirrored = units[u].mirrored;
      // The calibration pair: its prompt slice answers for the prompt, the query's prompt is its query.
      std::vector<const data::seg_sample*> prompts = q.prompts;
      const data::seg_sample* query = q.query;
      if (units[u].calibration) prompts = {calibration[units[u].query]}, query = q.prompts[0];
      objectives::sample s;
      for (const auto* p : prompts) {
        s.prompt_images.push_back(mirrored ? flip(q.set->image(*p)) : q.set->image(*p));
        auto label = passes[units[u].query].colorize_prompt(p->label, units[u].pass);
        if (o.blank_prompt_labels) label.fill(0.f);
        s.prompt_labels.push_back(mirrored ? flip(label) : std::move(label));
      }
      s.query = mirrored ? flip(q.set->image(*query)) : q.set->image(*query);
      return s;
    };
    // Per query, in pass order: the query's predictions, and the calibration pair's.
    std::vector<std::vector<gray_image>> preds(qs.size()), calibration_preds(qs.size());
    auto finish = [&](std::size_t u, const gray_image& pred) {
      auto& mine = (units[u].calibration ? calibration_preds : preds)[units[u].query];
      if (!units[u].mirrored) return mine.push_back(pred);
      mine.back() = 0.5f * (mine.back() + flip(pred));
    };
    detail::answer_in_batches(m, units.size(), o.batch,
                              o.mode[static_cast<std::size_t>(objectives::task_kind::segmentation)], build, finish);
    // Per-class thresholds from what the passes answered: the calibration pair's, or the prompts' areas.
    const auto grid = objectives::calibration_grid();
    for (std::size_t i = 0; i < qs.size(); ++i) {
      auto& ps = passes[i];
      if (calibration_preds[i].empty() && prompt_pixels[i].empty()) continue;  // else per-class passes: a map each
      for (std::size_t k = 0; k < ps.classes.size(); ++k) {
        const float level = ps.maps[k].color_of(ps.classes[k]);
        if (!calibration_preds[i].empty())
          ps.class_thresholds.push_back(objectives::calibrated_threshold(calibration_preds[i][k], level,
                                                                         qs[i].prompts[0]->label, ps.classes[k], grid));
        else if (!prompt_pixels[i].empty())
          ps.class_thresholds.push_back(objectives::prompt_area_threshold(preds[i][k], level, prompt_pixels[i][k],
                                                                          o.prompt_area_lo, o.prompt_area_hi));
      }
    }
    std::vector<label_image> out(qs.size());
    for (std::size_t i = 0; i < qs.size(); ++i)
      out[i] = passes[i].classes.empty() ? label_image(xt::zeros<std::uint8_t>(qs[i].image().shape()))
                                         : passes[i].merge(preds[i]);
    return out;
  };
}

template <class Model>
image_method model_restorer(const Model& m, model_method_options o = {}) {
  return [&m, o](const std::vector<image_query>& qs) {
    std::vector<gray_image> out(qs.size());
    auto build = [](const image_query& q) {
      objectives::sample s;
      s.kind = q.task->kind;
      for (const auto* p : q.prompts) {
        s.prompt_images.push_back(p->input);
        s.prompt_labels.push_back(p->target);
      }
      s.query = q.query->input;
      return s;
    };
    auto finish = [&](std::size_t i, const gray_image& pred) {
      gray_image p = pred;
      for (auto& v : p) v = std::clamp(v, 0.f, 1.f);
      const auto& hole = qs[i].query->hole;
      if (hole.size() == p.size())
        for (std::size_t k = 0; k < p.size(); ++k)
          if (!hole.data()[k]) p.data()[k] = qs[i].query->input.data()[k];
      out[i] = std::move(p);
    };
    if (qs.empty()) return out;
    const auto kind = qs.front().task->kind;
    for (const auto& q : qs)  // one mode per call: benchmark_eval asks one task at a time
      MVG_CHECK(q.task->kind == kind, "model_restorer: queries of ", q.task->name,
                " and of ", qs.front().task->name, " are of different task kinds; pass one kind per call");
    detail::answer_in_batches(m, qs.size(), o.batch, o.mode[static_cast<std::size_t>(kind)],
                              [&](std::size_t i) { return build(qs[i]); }, finish);
    return out;
  };
}

}  // namespace mvg::eval
