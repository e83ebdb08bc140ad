// mvg/eval/model_methods.hpp: a trained model as an evaluation method (eval/benchmark_eval.hpp).
//   segmentation: per query one random coloring of the classes in its prompt labels (seeded by the
//     query, so a run is reproducible), colored prompts → prediction → nearest-color decoding;
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

#include "mvg/eval/benchmark_eval.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/hybrid.hpp"
#include "mvg/objectives/inference.hpp"

namespace mvg::eval {

struct model_method_options {
  std::size_t batch = 8;
  // Per task kind, as each is mostly trained under the paper's schedule: segmentation AR, the others MIM.
  std::array<objectives::inference_mode, objectives::task_kinds> mode =
      objectives::modes_for_shares(objectives::hybrid_options{}.p_autoregressive);
  std::uint64_t seed = 0;
  objectives::palette colors;
  bool blank_prompt_labels = false;  // the prompt ablation (above)
};

namespace detail {
template <class Model, class Query, class Build, class Finish>
void answer_in_batches(const Model& m, const std::vector<Query>& qs, std::size_t batch,
                       objectives::inference_mode mode, Build build, Finish finish) {
  for (std::size_t start = 0; start < qs.size(); start += batch) {
    const std::size_t end = std::min(qs.size(), start + batch);
    std::size_t pairs = 0;
    for (std::size_t i = start; i < end; ++i) pairs = std::max(pairs, qs[i].prompts.size());
    std::vector<objectives::sample> samples;
    for (std::size_t i = start; i < end; ++i) {
      auto s = build(qs[i]);
      while (s.pairs() < pairs) {
        s.prompt_images.push_back(s.prompt_images.back());
        s.prompt_labels.push_back(s.prompt_labels.back());
      }
      samples.push_back(std::move(s));
    }
    const auto preds = objectives::predict(m, samples, mode);
    for (std::size_t i = start; i < end; ++i) finish(i, preds[i - start]);
  }
}
}  // namespace detail

template <class Model>
seg_method model_segmenter(const Model& m, model_method_options o = {}) {
  return [&m, o](const std::vector<seg_query>& qs) {
    std::vector<label_image> out(qs.size());
    std::vector<objectives::color_mapping> maps(qs.size());
    std::vector<bool> empty(qs.size(), false);
    auto build = [&](const seg_query& q) {
      const std::size_t i = static_cast<std::size_t>(&q - qs.data());
      std::vector<const objectives::label_map*> labels;
      for (std::size_t p = 0; p < q.prompts.size(); ++p) labels.push_back(&q.prompt_label(p));
      const std::vector<int> classes = objectives::prompt_classes(labels);
      empty[i] = classes.empty();
      rng g(o.seed ^ (0x9E3779B97F4A7C15ull * (q.index + 1)) ^ std::hash<std::string>{}(q.set->name + "/" + q.task->name));
      maps[i] = objectives::random_mapping(classes, g, o.colors);
      objectives::sample s;
      for (std::size_t p = 0; p < q.prompts.size(); ++p) {
        s.prompt_images.push_back(q.prompt_image(p));
        auto label = objectives::colorize(q.prompt_label(p), maps[i]);
        if (o.blank_prompt_labels) label.fill(0.f);
        s.prompt_labels.push_back(std::move(label));
      }
      s.query = q.image();
      return s;
    };
    auto finish = [&](std::size_t i, const gray_image& pred) {
      out[i] = empty[i] ? label_image(xt::zeros<std::uint8_t>(pred.shape())) : objectives::decode(pred, maps[i]);
    };
    detail::answer_in_batches(m, qs, o.batch, o.mode[static_cast<std::size_t>(objectives::task_kind::segmentation)], build,
                              finish);
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
    detail::answer_in_batches(m, qs, o.batch, o.mode[static_cast<std::size_t>(kind)], build, finish);
    return out;
  };
}

}  // namespace mvg::eval
