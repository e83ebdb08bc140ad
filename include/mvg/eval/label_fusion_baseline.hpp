// mvg/eval/label_fusion_baseline.hpp: patch-based label fusion as a segmentation baseline (no learning):
// the classical atlas method (Coupé et al. 2011; Rousseau et al. 2011), the strongest training-free way
// to carry a prompt's label onto a query. Per class c of the task, the prompt's mask of c is fused onto
// the query (ops/label_fusion.hpp, the options the model's --label-fusion input uses); with several
// prompt pairs the fused maps are averaged; each pixel takes the class with the largest fused share,
// background included. It reads what the model reads (the prompt pairs and the query image), never the
// truth. Shown beside copy-the-prompt-label so that a reader sees what the model adds to it.
#pragma once
#include <vector>

#include "mvg/eval/benchmark_eval.hpp"
#include "mvg/ops/label_fusion.hpp"

namespace mvg::eval {

// Throws unless the query has a prompt pair and every one has its size.
inline void check_fusion_shapes(const seg_query& q) {
  MVG_CHECK(!q.prompts.empty(), "label fusion: ", q.set->name, "/", q.task->name, ": a query without a prompt pair");
  for (std::size_t p = 0; p < q.prompts.size(); ++p)
    MVG_CHECK(q.prompt_image(p).shape() == q.image().shape() && q.prompt_label(p).shape() == q.image().shape(),
              "label fusion: ", q.set->name, "/", q.task->name, ": prompt ", p, " is not the query's size");
}

inline label_image fuse_prompt_labels(const seg_query& q, const ops::fusion_options& o = {}) {
  check_fusion_shapes(q);
  const auto& image = q.image();
  const int64_t h = int64_t(image.shape()[0]), w = int64_t(image.shape()[1]), hw = h * w;
  const std::size_t classes = q.task->classes.size();
  const auto m = ops::detail::fusion_map::of(h, w, o);
  const auto n = static_cast<std::size_t>(hw);
  std::vector<float> share(classes * n, 0.0f), masks, fused;
  std::vector<std::size_t> present;
  for (std::size_t p = 0; p < q.prompts.size(); ++p) {
    const auto& label = q.prompt_label(p);
    present.assign(classes, 0);  // fusing an empty mask gives zeros: only the classes the prompt shows
    for (std::size_t i = 0; i < n; ++i)
      if (label.data()[i] < classes) present[label.data()[i]] = 1;
    std::vector<std::size_t> shown;
    for (std::size_t c = 0; c < classes; ++c)
      if (present[c]) shown.push_back(c);
    masks.assign(shown.size() * n, 0.0f), fused.resize(shown.size() * n);
    for (std::size_t k = 0; k < shown.size(); ++k)
      for (std::size_t i = 0; i < n; ++i) masks[k * n + i] = label.data()[i] == shown[k] ? 1.0f : 0.0f;
    m.plane(image.data(), q.prompt_image(p).data(), masks.data(), fused.data(), int64_t(shown.size()));
    for (std::size_t k = 0; k < shown.size(); ++k)
      for (std::size_t i = 0; i < n; ++i) share[shown[k] * n + i] += fused[k * n + i];
  }
  label_image out = q.prompt_label(0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t best = 0;
    for (std::size_t c = 1; c < classes; ++c)
      if (share[c * n + i] > share[best * n + i]) best = c;
    out.data()[i] = static_cast<std::uint8_t>(best);
  }
  return out;
}

inline seg_method label_fusion_baseline(const ops::fusion_options& o = {}) {
  return [o](const std::vector<seg_query>& qs) {
    for (const auto& q : qs) check_fusion_shapes(q);  // before the parallel loop, which must not throw
    std::vector<label_image> out(qs.size());
#pragma omp parallel for schedule(dynamic)
    for (std::size_t i = 0; i < qs.size(); ++i) out[i] = fuse_prompt_labels(qs[i], o);
    return out;
  };
}

}  // namespace mvg::eval
