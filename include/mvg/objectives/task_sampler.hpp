// mvg/objectives/task_sampler.hpp: the one interface a trainer samples every task kind through.
// It turns the benchmark's segmentation sets and image-to-image tasks (include/mvg/data) into
// colored in-context samples (objectives::sample) of the training split:
//   segmentation: a training slice of a task as the query, n other training slices of the same task
//     within max_prompt_distance slices as prompts (the test-time prompts are neighbouring support
//     slices, so training distances cover them), labels colored by the chosen scheme (random: one
//     mapping for the prompts and the query; binary: one class present, drawn, as 1 on 0; pre-defined:
//     the class table's fixed levels, predefined_colors.hpp), background weighted 0.1;
//   denoising / inpainting / synthesis: a training pair as the query, other pairs of the same task
//     as prompts; inpainting holes are redrawn from the training seed range for every draw.
// Segmentation draws a training set (uniformly, or by set_weight), then one of its tasks, so a set
// with many small binary tasks (S2-regions, S3) does not crowd out the others.
// Levers for in-context learning (docs/results.md measures each): min_prompt_distance keeps training
// prompts as far from their query as test prompts lie; segmentation_prompt_distance bounds segmentation's
// prompts nearer than the image tasks' (nearer prompts teach segmentation to read them, while denoising
// and synthesis lose from them); augment transforms every segmentation prompt
// pair and the query independently (crop, intensity), so copying the prompt label fits less well
// than reading it; self_prompt_share makes that share of segmentation samples prompt themselves (every
// prompt pair is the query's own slice), the pure copy task in which "the label where the prompt's label
// lies" is exactly right, so position-matched attention from query to prompt label is the whole lesson.
// Test-only sets (U1, U2, D3) and held-out classes (S2-regions-held-out, S3-held-out) never enter training,
// except the support slices of the U sets named in support_sets (paper Table 4: fine-tuning on a new
// set's labelled instances, whose queries stay unseen, as the support slices are their test prompts).
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "mvg/data/prep/augment.hpp"
#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/benchmark/image_tasks.hpp"
#include "mvg/data/prompts.hpp"
#include "mvg/data/simulate/random_regions.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/predefined_colors.hpp"
#include "mvg/objectives/sample.hpp"

namespace mvg::objectives {

struct sampler_options {
  std::size_t prompt_pairs = 1;
  std::size_t max_prompt_distance = 12;  // slices between a training query and its prompts
  std::size_t segmentation_prompt_distance = 0;  // segmentation's own bound on it (0: max_prompt_distance)
  std::size_t min_prompt_distance = 0;   // prompts nearer than this are used only when no other is left
  std::map<std::string, double> set_weight{};  // segmentation set name → draw weight (absent: 1)
  bool augment = false;                  // segmentation: independent augmentation of prompts and query
  double self_prompt_share = 0.0;        // segmentation: share of samples whose prompts are the query itself
  double synthetic_share = 0.0;          // segmentation: share of samples whose class is a random region
  data::random_region_options synthetic{};
  std::size_t synthetic_min_pixels = 24; // a random region smaller than this on any slice is drawn again
  std::vector<std::string> support_sets{};  // test-only sets whose support slices are trained on
  data::augment_options augmentation{};
  coloring_scheme coloring = coloring_scheme::random;
  palette colors{};
  predefined_colors predefined{};        // the class table of coloring_scheme::predefined
  float background_weight = 0.1f;
  bool redraw_holes = true;
};

class task_sampler {
public:
  task_sampler(const data::benchmark& seg, const data::image_task_set& img, sampler_options o = {})
      : opt_(o) {
    const std::size_t need = o.prompt_pairs + 1;
    MVG_CHECK(o.coloring != coloring_scheme::predefined || !o.predefined.value.empty(),
              "task_sampler: pre-defined coloring without a class table (predefined_colors::of)");
    MVG_CHECK(o.self_prompt_share >= 0 && o.self_prompt_share <= 1, "task_sampler: self-prompt share ",
              o.self_prompt_share, " must lie in [0, 1]");
    MVG_CHECK(o.min_prompt_distance <= o.max_prompt_distance &&
                  (o.segmentation_prompt_distance == 0 || o.min_prompt_distance <= o.segmentation_prompt_distance),
              "task_sampler: the nearest prompt distance ", o.min_prompt_distance, " exceeds a farthest one");
    MVG_CHECK(o.synthetic_share >= 0 && o.synthetic_share <= 1, "task_sampler: synthetic share ", o.synthetic_share,
              " must lie in [0, 1]");
    auto lends_support = [&](const std::string& name) {
      return std::find(o.support_sets.begin(), o.support_sets.end(), name) != o.support_sets.end();
    };
    for (const auto& [name, w] : o.set_weight) {
      bool found = false;
      for (const auto& set : seg.sets)
        found |= set.name == name && (!set.test_only || lends_support(name)) && !set.held_out;
      MVG_CHECK(found, "task_sampler: set weight for '", name, "', which is not a training set here");
      MVG_CHECK(w >= 0 && std::isfinite(w), "task_sampler: set weight ", w, " for '", name, "' is not >= 0");
    }
    for (const auto& name : o.support_sets) {
      const auto it = std::find_if(seg.sets.begin(), seg.sets.end(), [&](const auto& set) { return set.name == name; });
      MVG_CHECK(it != seg.sets.end(), "task_sampler: support slices of '", name,
                "', which is not loaded here (name it in --tasks too)");
      MVG_CHECK(it->test_only, "task_sampler: '", name, "' is a training set; only a test-only set (U1-…, U2) lends "
                "its support slices");
    }
    for (const auto& set : seg.sets) {
      const bool support = lends_support(set.name);
      if ((set.test_only && !support) || set.held_out) continue;
      std::vector<seg_entry> tasks;
      for (const auto& t : set.tasks) {
        const auto& pool = support ? t.support : t.train;
        if (pool.size() >= need) tasks.push_back({&set, &t, &pool});
      }
      const auto w = o.set_weight.find(set.name);
      const double weight = w == o.set_weight.end() ? 1.0 : w->second;
      if (!tasks.empty() && weight > 0) seg_.push_back(std::move(tasks)), seg_weight_.push_back(weight);
    }
    for (const auto& t : img.tasks)
      if (!t.test_only && t.train.size() >= need) img_[static_cast<int>(t.kind)].push_back(&t);
  }

  std::array<bool, task_kinds> available() const {
    std::array<bool, task_kinds> a{};
    a[0] = !seg_.empty();
    for (int k = 1; k < task_kinds; ++k) a[k] = !img_[k].empty();
    return a;
  }

  sample draw(task_kind kind, rng& g) const {
    MVG_CHECK(available()[static_cast<int>(kind)], "task_sampler: no training data for ", task_name(kind));
    return kind == task_kind::segmentation ? draw_segmentation(g) : draw_image(kind, g);
  }
  std::vector<sample> draw_batch(task_kind kind, std::size_t n, rng& g) const {
    std::vector<sample> b;
    for (std::size_t i = 0; i < n; ++i) b.push_back(draw(kind, g));
    return b;
  }

private:
  struct seg_entry {
    const data::benchmark_set* set;
    const data::seg_task* task;
    const std::vector<data::seg_sample>* pool;  // its training slices, or a U set's support slices
  };

  template <class Pool>
  std::vector<std::size_t> prompts_for(const Pool& pool, std::size_t q, std::size_t max_distance, rng& g) const {
    return data::training_prompts(pool, q, opt_.prompt_pairs, opt_.min_prompt_distance, max_distance, g);
  }
  std::size_t segmentation_distance() const {
    return opt_.segmentation_prompt_distance > 0 ? opt_.segmentation_prompt_distance : opt_.max_prompt_distance;
  }

  static auto shuffled(rng& g) {
    return [&g](std::vector<std::size_t>& v) {
      for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<std::size_t>(g.below(i))]);
    };
  }

  sample draw_segmentation(rng& g) const {
    // Set first, then task: drawing (set, task) pairs uniformly would give S2-regions and S3 (92 of
    // ~97 tasks, all small binary regions) nearly every segmentation step.
    const auto& tasks = seg_[draw_set(g)];
    const auto& e = tasks[static_cast<std::size_t>(g.below(tasks.size()))];
    const auto& pool = *e.pool;
    const std::size_t q = static_cast<std::size_t>(g.below(pool.size()));
    // Several subjects: prompts from the others; where they hold too few slices, the query's own rule.
    std::vector<std::size_t> prompts;
    // Drawn only when asked for, so runs without self prompts keep their draws.
    if (opt_.self_prompt_share > 0 && g.uniform() < opt_.self_prompt_share)
      prompts.assign(opt_.prompt_pairs, q);
    else if (e.set->across_subjects())
      prompts = data::cross_subject_prompts(*e.set, pool, pool[q], opt_.prompt_pairs, shuffled(g));
    if (prompts.size() < opt_.prompt_pairs) prompts = prompts_for(pool, q, segmentation_distance(), g);
    // A random region instead of the task's class (drawn only when asked for, so other runs keep their
    // draws); within one volume only, since a region is a place in that volume.
    std::vector<label_map> synthetic;
    if (opt_.synthetic_share > 0 && g.uniform() < opt_.synthetic_share && !e.set->across_subjects())
      synthetic = random_region_labels(*e.set, pool, q, prompts, g);
    auto label_of = [&](std::size_t i, std::size_t p) -> const label_map& {  // i: 0 query, 1.. prompts
      return synthetic.empty() ? pool[p].label : synthetic[i];
    };
    std::vector<const label_map*> labels{&label_of(0, q)};
    for (std::size_t i = 0; i < prompts.size(); ++i) labels.push_back(&label_of(i + 1, prompts[i]));
    const std::vector<int> classes = prompt_classes(labels);
    color_mapping map;
    bool only_mapped = false;
    if (opt_.coloring == coloring_scheme::binary && !classes.empty()) {
      map = binary_mapping(classes[static_cast<std::size_t>(g.below(classes.size()))]);
      only_mapped = true;
    } else if (opt_.coloring == coloring_scheme::predefined && synthetic.empty()) {
      map = opt_.predefined.mapping(*e.set, *e.task, classes);
    } else {
      map = random_mapping(classes, g, opt_.colors);
    }
    sample s;
    s.kind = task_kind::segmentation;
    auto add = [&](const data::seg_sample& smp, const label_map& l, bool query) {
      image2d<float> image = e.set->image(smp);
      label_map label = l;
      if (opt_.augment) data::augment_pair(image, label, opt_.augmentation, g);
      if (query) {
        s.query = std::move(image);
        s.target = colorize(label, map, only_mapped);
      } else {
        s.prompt_images.push_back(std::move(image));
        s.prompt_labels.push_back(colorize(label, map, only_mapped));
      }
    };
    for (std::size_t i = 0; i < prompts.size(); ++i) add(pool[prompts[i]], label_of(i + 1, prompts[i]), false);
    add(pool[q], label_of(0, q), true);
    s.weighted = true;
    s.background_weight = opt_.background_weight;
    s.source = e.set->name + "/" + (synthetic.empty() ? e.task->name : "random-region");
    return s;
  }

  // The query's and the prompts' labels of one random region (data/simulate/random_regions.hpp), each
  // with at least synthetic_min_pixels; empty if eight draws found none (the task's own class then).
  std::vector<label_map> random_region_labels(const data::benchmark_set& set, const std::vector<data::seg_sample>& pool,
                                              std::size_t q, const std::vector<std::size_t>& prompts, rng& g) const {
    const auto& query = set.image(pool[q]);
    for (int attempt = 0; attempt < 8; ++attempt) {
      const auto region = data::draw_random_region(query, double(pool[q].slice), g, opt_.synthetic);
      std::vector<label_map> out{region.label(query, double(pool[q].slice))};
      for (std::size_t p : prompts) out.push_back(region.label(set.image(pool[p]), double(pool[p].slice)));
      bool big_enough = true;
      for (const auto& l : out)
        big_enough &= std::size_t(std::count(l.begin(), l.end(), std::uint8_t{1})) >= opt_.synthetic_min_pixels;
      if (big_enough) return out;
    }
    return {};
  }

  sample draw_image(task_kind kind, rng& g) const {
    const auto& tasks = img_[static_cast<int>(kind)];
    const data::image_task& t = *tasks[static_cast<std::size_t>(g.below(tasks.size()))];
    const auto& pool = t.train;
    const std::size_t q = static_cast<std::size_t>(g.below(pool.size()));
    auto pair = [&](std::size_t i) {
      return (opt_.redraw_holes && pool[i].body.size() > 0) ? data::redraw_hole(pool[i], t.seed, g.next_u64() >> 1)
                                                            : pool[i];
    };
    sample s;
    s.kind = kind;
    for (std::size_t p : prompts_for(pool, q, opt_.max_prompt_distance, g)) {
      const auto pp = pair(p);
      s.prompt_images.push_back(pp.input);
      s.prompt_labels.push_back(pp.target);
    }
    const auto qp = pair(q);
    s.query = qp.input;
    s.target = qp.target;
    s.source = t.name;
    return s;
  }

  // Index of a training set, uniform when no weights were given (the draws of older runs).
  std::size_t draw_set(rng& g) const {
    if (opt_.set_weight.empty()) return static_cast<std::size_t>(g.below(seg_.size()));
    return g.weighted_index(seg_weight_, "task_sampler: every training set has weight 0");
  }

  sampler_options opt_;
  std::vector<std::vector<seg_entry>> seg_;  // per training set, its tasks
  std::vector<double> seg_weight_;           // per training set, its draw weight
  std::array<std::vector<const data::image_task*>, task_kinds> img_;
};

}  // namespace mvg::objectives
