// mvg/objectives/autoregressive.hpp: the autoregressive objective (paper Eq. 2).
//   slots [Px1, Py1, …, Pxn, Pyn, X] with the block-causal mask; the decoder output at every image
//   slot 2i−1 predicts the next slot, its label (Py_i, and Y for X); the loss is on label
//   predictions only, all n+1 of them from one forward pass, averaged over the pairs.
// Segmentation under random coloring: the first prediction (Py1 from Px1, no prompt in view) cannot
// know the sample's colors; segmentation_first_weight scales its term (1: the paper's plain mean; 0:
// the loss only where a prompt is in view). The weighted mean divides by the weights' sum.
// Y itself is never fed: under the block-causal mask nothing attends to the last slot, so leaving it
// out gives the same loss and gradients at lower cost (DATA.md).
#pragma once
#include "mvg/nn/model.hpp"
#include "mvg/objectives/sample.hpp"
#include "mvg/ops/elementwise.hpp"
#include "mvg/ops/loss.hpp"

namespace mvg::objectives {

struct ar_objective {
  ops::loss_params loss{ops::loss_kind::smooth_l1, 0.01};
  float segmentation_first_weight = 1.f;  // see above

  // Mean over the n+1 label predictions of each prediction's (weighted) loss over the batch.
  template <class Model>
  typename Model::var_type operator()(const Model& m, const std::vector<sample>& batch, rng* gen = nullptr) const {
    using T = typename Model::scalar;
    using Bk = typename Model::backend_type;
    using V = typename Model::var_type;
    const std::size_t size = Model::cfg.image_size;
    const auto pixels = sequence_pixels<T, Bk>(batch, size, false);
    const int64_t pairs = static_cast<int64_t>(batch[0].pairs()), bt = static_cast<int64_t>(batch.size());
    std::vector<int64_t> image_slots;
    for (int64_t i = 0; i <= pairs; ++i) image_slots.push_back(2 * i);
    auto pred = m.forward(pixels, sequence_roles(pairs, 2 * pairs + 1), nullptr, attention_kind::block_causal,
                          image_slots, gen);
    const int64_t n = static_cast<int64_t>(size);
    const float first = batch[0].kind == task_kind::segmentation ? segmentation_first_weight : 1.f;
    MVG_CHECK(first >= 0.f && first <= 1.f, "ar_objective: segmentation_first_weight ", first, " outside [0, 1]");
    V total;
    for (int64_t i = first == 0.f ? 1 : 0; i <= pairs; ++i) {
      std::vector<float> tgt, w;
      for (const auto& s : batch) {
        const auto& label = i < pairs ? s.prompt_labels[i] : s.target;
        detail::append(tgt, label, size, "a label");
        const auto lw = label_weights(s, label);
        w.insert(w.end(), lw.begin(), lw.end());
      }
      const shape sh{bt, n, n};
      const V target(tensor<T, Bk>::from_host(sh, std::vector<T>(tgt.begin(), tgt.end())));
      const auto weight = tensor<T, Bk>::from_host(sh, std::vector<T>(w.begin(), w.end()));
      auto p = ops::reshape(ops::slice(pred, 1, i, i + 1), sh);
      auto li = ops::regression_loss(p, target, &weight, loss);
      if (i == 0 && first != 1.f) li = ops::scale(li, T(first));
      total = total.value().defined() ? ops::add(total, li) : li;
    }
    return ops::scale(total, T(1) / (T(pairs) + T(first)));
  }
};

}  // namespace mvg::objectives
