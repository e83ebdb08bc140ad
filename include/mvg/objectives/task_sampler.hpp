// mvg/objectives/task_sampler.hpp: the one interface a trainer samples every task kind through.
// It turns the benchmark's segmentation sets and image-to-image tasks (include/mvg/data) into
// colored in-context samples (objectives::sample) of the training split:
//   segmentation: a training slice of a task as the query, n other training slices of the same task
//     within max_prompt_distance slices as prompts (the test-time prompts are neighbouring support
//     slices, so training distances cover them), labels colored by the chosen scheme (random: one
//     mapping for the prompts and the query), background weighted 0.1;
//   denoising / inpainting / synthesis: a training pair as the query, other pairs of the same task
//     as prompts; inpainting holes are redrawn from the training seed range for every draw.
// Segmentation draws a training set uniformly, then one of its tasks, so a set with many small
// binary tasks (S2-regions, S3) does not crowd out the others.
// Test-only sets (U1, U2, D3) never enter training.
#pragma once
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "mvg/data/benchmark.hpp"
#include "mvg/data/image_tasks.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/sample.hpp"

namespace mvg::objectives {

struct sampler_options {
  std::size_t prompt_pairs = 1;
  std::size_t max_prompt_distance = 12;  // slices between a training query and its prompts
  coloring_scheme coloring = coloring_scheme::random;
  palette colors{};
  float background_weight = 0.1f;
  bool redraw_holes = true;
};

inline task_kind kind_of(data::image_task_kind k) {
  switch (k) {
    case data::image_task_kind::denoising: return task_kind::denoising;
    case data::image_task_kind::inpainting: return task_kind::inpainting;
    default: return task_kind::synthesis;
  }
}

class task_sampler {
public:
  task_sampler(const data::benchmark& seg, const data::image_task_set& img, sampler_options o = {})
      : opt_(o) {
    const std::size_t need = o.prompt_pairs + 1;
    for (const auto& set : seg.sets) {
      if (set.test_only) continue;
      std::vector<seg_entry> tasks;
      for (const auto& t : set.tasks)
        if (t.train.size() >= need) tasks.push_back({&set, &t});
      if (!tasks.empty()) seg_.push_back(std::move(tasks));
    }
    for (const auto& t : img.tasks)
      if (!t.test_only && t.train.size() >= need) img_[static_cast<int>(kind_of(t.kind))].push_back(&t);
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
  };

  // n distinct indices of `pool` other than q, preferring slices within the distance limit.
  template <class Pool>
  std::vector<std::size_t> prompts_for(const Pool& pool, std::size_t q, rng& g) const {
    std::vector<std::size_t> near, rest;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      if (i == q || pool[i].slice == pool[q].slice) continue;
      const std::size_t d = pool[i].slice > pool[q].slice ? pool[i].slice - pool[q].slice : pool[q].slice - pool[i].slice;
      (d <= opt_.max_prompt_distance ? near : rest).push_back(i);
    }
    std::vector<std::size_t> out;
    for (auto* src : {&near, &rest})
      while (out.size() < opt_.prompt_pairs && !src->empty()) {
        const std::size_t j = static_cast<std::size_t>(g.below(src->size()));
        out.push_back((*src)[j]);
        src->erase(src->begin() + static_cast<std::ptrdiff_t>(j));
      }
    MVG_CHECK(out.size() == opt_.prompt_pairs, "task_sampler: not enough distinct prompt slices");
    return out;
  }

  sample draw_segmentation(rng& g) const {
    // Set first, then task: drawing (set, task) pairs uniformly would give S2-regions and S3 (92 of
    // ~97 tasks, all small binary regions) nearly every segmentation step.
    const auto& tasks = seg_[static_cast<std::size_t>(g.below(seg_.size()))];
    const auto& e = tasks[static_cast<std::size_t>(g.below(tasks.size()))];
    const auto& pool = e.task->train;
    const std::size_t q = static_cast<std::size_t>(g.below(pool.size()));
    const auto prompts = prompts_for(pool, q, g);
    std::vector<int> classes = classes_present(pool[q].label);
    for (std::size_t p : prompts)
      for (int c : classes_present(pool[p].label))
        if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
    std::sort(classes.begin(), classes.end());
    color_mapping map;
    bool only_mapped = false;
    if (opt_.coloring == coloring_scheme::binary && !classes.empty()) {
      map = binary_mapping(classes[static_cast<std::size_t>(g.below(classes.size()))]);
      only_mapped = true;
    } else {
      map = random_mapping(classes, g, opt_.colors);
    }
    sample s;
    s.kind = task_kind::segmentation;
    for (std::size_t p : prompts) {
      s.prompt_images.push_back(e.set->image(pool[p]));
      s.prompt_labels.push_back(colorize(pool[p].label, map, only_mapped));
    }
    s.query = e.set->image(pool[q]);
    s.target = colorize(pool[q].label, map, only_mapped);
    s.weighted = true;
    s.background_weight = opt_.background_weight;
    s.source = e.set->name + "/" + e.task->name;
    return s;
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
    for (std::size_t p : prompts_for(pool, q, g)) {
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

  sampler_options opt_;
  std::vector<std::vector<seg_entry>> seg_;  // per training set, its tasks
  std::array<std::vector<const data::image_task*>, task_kinds> img_;
};

}  // namespace mvg::objectives
