// mvg/objectives/sample.hpp: one in-context training/evaluation sample, already colored (staging.hpp
// turns a batch of them into the model's tensors).
//   n prompt pairs (Px_i, Py_i), a query X and its target Y; all H×W single-channel in [0, 1].
//   weight (optional): per-pixel loss weights for every label image (segmentation: background 0.1,
//   foreground 1.0, as the released code); empty means 1 everywhere.
#pragma once
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/task_kind.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::objectives {

// The task kinds are the benchmark's (data/benchmark/task_kind.hpp); objectives name them as their own.
using data::task_kind;
using data::task_kinds;
using data::task_name;

struct sample {
  task_kind kind = task_kind::segmentation;
  std::vector<data::image2d<float>> prompt_images, prompt_labels;
  data::image2d<float> query, target;
  bool weighted = false;  // segmentation: background pixels of every label weigh background_weight
  float background_weight = 0.1f;
  std::string source;  // "set/task" (segmentation) or the image task's name; for logs and tests

  std::size_t pairs() const { return prompt_images.size(); }
};

// Per-pixel weight of a label image under the sample's weighting.
inline data::image2d<float> label_weights(const sample& s, const data::image2d<float>& label) {
  data::image2d<float> w = xt::ones<float>(label.shape());
  if (s.weighted)
    for (std::size_t i = 0; i < w.size(); ++i) w.flat(i) = label.flat(i) > 0.f ? 1.f : s.background_weight;
  return w;
}

namespace detail {
inline void check_batch(const std::vector<sample>& batch) {
  MVG_CHECK(!batch.empty(), "objective: empty batch");
  for (const auto& s : batch) {
    MVG_CHECK(s.pairs() >= 1 && s.prompt_labels.size() == s.pairs(), "sample: needs n ≥ 1 prompt pairs, got ",
              s.prompt_images.size(), " images and ", s.prompt_labels.size(), " labels");
    MVG_CHECK(s.pairs() == batch[0].pairs(), "objective: every sample of a batch needs the same number of prompt pairs (",
              s.pairs(), " vs ", batch[0].pairs(), ")");
  }
}
}  // namespace detail

}  // namespace mvg::objectives
