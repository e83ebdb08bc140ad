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
#include "mvg/objectives/staging.hpp"

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
  staged_batch<T, Bk> st;
  if (mode == inference_mode::autoregressive) {
    st.pixels = sequence_pixels<T, Bk>(batch, n, false);
    st.roles = sequence_roles(pairs, 2 * pairs + 1);
    st.attention = attention_kind::block_causal;
    st.decode = {2 * pairs};
  } else {
    // Y's pixels are never seen (all its tokens are mask tokens); zeros stand in for them.
    detail::check_batch(batch);
    host_images<T> host(n);
    for (const auto& s : batch) {
      host.add_sequence(s);
      host.add_constant(0.f);
    }
    st.pixels = host.template upload<Bk>(int64_t(batch.size()), 2 * pairs + 2);
    const auto one = whole_query_label_mask(pairs, grid);
    std::vector<T> mask;
    for (std::size_t b = 0; b < batch.size(); ++b) mask.insert(mask.end(), one.begin(), one.end());
    st.token_mask = tensor<T, Bk>::from_host(shape{int64_t(batch.size()), (2 * pairs + 2) * grid * grid}, mask);
    st.roles = sequence_roles(pairs, 2 * pairs + 2);
    st.decode = {2 * pairs + 1};
  }
  const auto pred = st.forward(m);
  const auto host = pred.value().to_host();
  std::vector<data::image2d<float>> out;
  for (std::size_t b = 0; b < batch.size(); ++b) {
    data::image2d<float> img = xt::zeros<float>({std::size_t(n), std::size_t(n)});
    std::copy(host.begin() + b * n * n, host.begin() + (b + 1) * n * n, img.begin());
    out.push_back(std::move(img));
  }
  return out;
}

// Segments `query` from prompt images and their label maps (coloring_passes): one pass under one random
// mapping drawn from `g`, or one pass per class present in the prompts (binary; random with
// one_class_per_pass), batched 16 at a time (few forward passes, bounded memory) and merged.
template <class Model>
label_map segment(const Model& m, const std::vector<data::image2d<float>>& prompt_images,
                  const std::vector<label_map>& prompt_labels, const data::image2d<float>& query,
                  coloring_scheme scheme, rng& g, inference_mode mode = inference_mode::autoregressive,
                  bool one_class_per_pass = false) {
  MVG_CHECK(!prompt_images.empty() && prompt_images.size() == prompt_labels.size(), "segment: ",
            prompt_images.size(), " prompt images for ", prompt_labels.size(), " prompt labels");
  MVG_CHECK(scheme != coloring_scheme::predefined, "segment: pre-defined coloring needs the dataset's class table; "
            "use predict() with predefined_mapping()");
  std::vector<int> classes = prompt_classes(prompt_labels);
  if (classes.empty()) return xt::zeros<std::uint8_t>(query.shape());
  const coloring_passes passes = plan_passes(std::move(classes), scheme, one_class_per_pass, g);
  std::vector<data::image2d<float>> preds;
  for (std::size_t i = 0; i < passes.maps.size(); i += 16) {
    std::vector<sample> batch;
    for (std::size_t k = i; k < std::min(passes.maps.size(), i + 16); ++k) {
      sample s;
      s.prompt_images = prompt_images;
      for (const auto& l : prompt_labels) s.prompt_labels.push_back(passes.colorize_prompt(l, k));
      s.query = query;
      batch.push_back(std::move(s));
    }
    for (auto& p : predict(m, batch, mode)) preds.push_back(std::move(p));
  }
  return passes.merge(preds);
}

}  // namespace mvg::objectives
