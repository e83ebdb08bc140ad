// mvg/objectives/inference.hpp: prediction from n prompt pairs and a query (paper §3.3 "Inference").
//   AR mode:  feed [Px1, Py1, …, X] with the block-causal mask, read the prediction at X's slot.
//   MIM mode: feed [Px1, Py1, …, X, Y] with Y all mask tokens, full attention, read Y's slot.
// Segmentation adds coloring around it: prompt label maps are colored (random palette levels per
// call, binary per class, or pre-defined), and the prediction is decoded by the nearest color.
#pragma once
#include <vector>

#include "mvg/autograd/tape.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/objectives/coloring.hpp"
#include "mvg/objectives/mim.hpp"
#include "mvg/objectives/sample.hpp"

namespace mvg::objectives {

enum class inference_mode { autoregressive, mim };

// Predicted images for a batch of samples (targets ignored), one per sample.
template <class Model>
std::vector<data::image2d<float>> predict(const Model& m, const std::vector<sample>& batch, inference_mode mode) {
  using T = typename Model::scalar;
  using Bk = typename Model::backend_type;
  constexpr int64_t n = Model::cfg.image_size, grid = Model::cfg.grid();
  autograd::no_grad guard;
  const int64_t pairs = static_cast<int64_t>(batch.empty() ? 0 : batch[0].pairs());
  typename Model::var_type pred;
  if (mode == inference_mode::autoregressive) {
    const auto px = sequence_pixels<T, Bk>(batch, n, false);
    pred = m.forward(px, sequence_roles(pairs, 2 * pairs + 1), nullptr, attention_kind::block_causal, {2 * pairs});
  } else {
    // Y's pixels are never seen (all its tokens are mask tokens); zeros stand in for them.
    std::vector<sample> with_y = batch;
    for (auto& s : with_y) s.target = xt::zeros<float>({std::size_t(n), std::size_t(n)});
    const auto px = sequence_pixels<T, Bk>(with_y, n, true);
    rng unused(0);
    const auto one = mim_token_mask(pairs, grid, {1.0, mask_strategy::whole_query_label, false}, unused);
    std::vector<T> mask;
    for (std::size_t b = 0; b < batch.size(); ++b) mask.insert(mask.end(), one.begin(), one.end());
    const auto tm = tensor<T, Bk>::from_host(shape{int64_t(batch.size()), (2 * pairs + 2) * grid * grid}, mask);
    pred = m.forward(px, sequence_roles(pairs, 2 * pairs + 2), &tm, attention_kind::full, {2 * pairs + 1});
  }
  const auto host = pred.value().to_host();
  std::vector<data::image2d<float>> out;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    data::image2d<float> img = xt::zeros<float>({std::size_t(n), std::size_t(n)});
    std::copy(host.begin() + b * n * n, host.begin() + (b + 1) * n * n, img.begin());
    out.push_back(std::move(img));
  }
  return out;
}

// Segments `query` from prompt images and their label maps, with random coloring (one mapping for
// every prompt, drawn from `g`) or binary coloring (one pass per class present in the prompts).
template <class Model>
label_map segment(const Model& m, const std::vector<data::image2d<float>>& prompt_images,
                  const std::vector<label_map>& prompt_labels, const data::image2d<float>& query,
                  coloring_scheme scheme, rng& g, inference_mode mode = inference_mode::autoregressive) {
  MVG_CHECK(!prompt_images.empty() && prompt_images.size() == prompt_labels.size(), "segment: ",
            prompt_images.size(), " prompt images for ", prompt_labels.size(), " prompt labels");
  std::vector<int> classes;
  for (const auto& l : prompt_labels)
    for (int c : classes_present(l))
      if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
  std::sort(classes.begin(), classes.end());
  auto run = [&](const color_mapping& map, bool others_to_background) {
    sample s;
    s.prompt_images = prompt_images;
    for (const auto& l : prompt_labels) s.prompt_labels.push_back(colorize(l, map, others_to_background));
    s.query = query;
    return predict(m, std::vector<sample>{s}, mode)[0];
  };
  if (classes.empty()) return xt::zeros<std::uint8_t>(query.shape());
  if (scheme == coloring_scheme::binary) {
    std::vector<data::image2d<float>> preds;
    for (int c : classes) preds.push_back(run(binary_mapping(c), true));
    return merge_binary(preds, classes);
  }
  MVG_CHECK(scheme == coloring_scheme::random, "segment: pre-defined coloring needs the dataset's class table; "
            "use predict() with predefined_mapping()");
  const color_mapping map = random_mapping(classes, g);
  return decode(run(map, false), map);
}

}  // namespace mvg::objectives
