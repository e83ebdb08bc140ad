// mvg/objectives/sample.hpp: one in-context training/evaluation sample, already colored, and its
// conversion to the model's slot tensors.
//   n prompt pairs (Px_i, Py_i), a query X and its target Y; all H×W single-channel in [0, 1].
//   weight (optional): per-pixel loss weights for every label image (segmentation: background 0.1,
//   foreground 1.0, as the released code); empty means 1 everywhere.
#pragma once
#include <string>
#include <vector>

#include "mvg/core/tensor.hpp"
#include "mvg/data/geometry.hpp"

namespace mvg::objectives {

enum class task_kind { segmentation = 0, denoising = 1, inpainting = 2, synthesis = 3 };
inline constexpr int task_kinds = 4;
inline const char* task_name(task_kind k) {
  static const char* names[] = {"segmentation", "denoising", "inpainting", "synthesis"};
  return names[static_cast<int>(k)];
}

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
// Appends an image's pixels to a host buffer after checking its size.
inline void append(std::vector<float>& out, const data::image2d<float>& img, std::size_t size, const char* what) {
  MVG_CHECK(img.shape()[0] == size && img.shape()[1] == size, "sample: ", what, " is ", img.shape()[0], "×",
            img.shape()[1], ", the model expects ", size, "×", size);
  out.insert(out.end(), img.begin(), img.end());
}
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

// Slot pixels [Bt, slots, H, W] of the sequences [Px1, Py1, …, Pxn, Pyn, X (, Y)].
template <class T, backend B>
tensor<T, B> sequence_pixels(const std::vector<sample>& batch, std::size_t size, bool with_target) {
  detail::check_batch(batch);
  std::vector<float> host;
  for (const auto& s : batch) {
    for (std::size_t i = 0; i < s.pairs(); ++i) {
      detail::append(host, s.prompt_images[i], size, "a prompt image");
      detail::append(host, s.prompt_labels[i], size, "a prompt label");
    }
    detail::append(host, s.query, size, "the query");
    if (with_target) detail::append(host, s.target, size, "the target");
  }
  const int64_t slots = 2 * static_cast<int64_t>(batch[0].pairs()) + 1 + (with_target ? 1 : 0);
  const int64_t n = static_cast<int64_t>(size);
  return tensor<T, B>::from_host(shape{static_cast<int64_t>(batch.size()), slots, n, n},
                                 std::vector<T>(host.begin(), host.end()));
}

}  // namespace mvg::objectives
