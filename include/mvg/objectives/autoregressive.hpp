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
#include "mvg/objectives/staging.hpp"
#include "mvg/ops/elementwise.hpp"
#include "mvg/ops/loss.hpp"
#include "mvg/ops/shape_ops.hpp"

namespace mvg::objectives {

struct ar_objective {
  ops::loss_params loss{ops::loss_kind::smooth_l1, 0.01};
  float segmentation_first_weight = 1.f;  // see above

  // The sequences without Y; targets and weights [Bt, n+1, H, W]: the n+1 labels the image slots predict.
  template <class Model>
  auto stage(const Model&, const std::vector<sample>& batch) const {
    using T = typename Model::scalar;
    const std::size_t size = Model::cfg.image_size;
    staged_batch<T, typename Model::backend_type> st;
    st.pixels = sequence_pixels<T, typename Model::backend_type>(batch, size, false);
    const int64_t pairs = static_cast<int64_t>(batch[0].pairs()), bt = static_cast<int64_t>(batch.size());
    st.roles = sequence_roles(pairs, 2 * pairs + 1);
    st.attention = attention_kind::block_causal;
    for (int64_t i = 0; i <= pairs; ++i) st.decode.push_back(2 * i);
    host_images<T> tgt(size), w(size);
    for (const auto& s : batch)
      for (int64_t i = 0; i <= pairs; ++i) {
        const auto& label = i < pairs ? s.prompt_labels[std::size_t(i)] : s.target;
        tgt.add(label, "a label");
        w.add(label_weights(s, label), "a label weight");
      }
    st.target = tgt.template upload<typename Model::backend_type>(bt, pairs + 1);
    st.weight = w.template upload<typename Model::backend_type>(bt, pairs + 1);
    return st;
  }

  // Mean over the n+1 label predictions of each prediction's (weighted) loss over the batch.
  template <class Model, class Staged>
  typename Model::var_type loss_of(const Model& m, const Staged& st, task_kind kind, rng* drop_path) const {
    using T = typename Model::scalar;
    using V = typename Model::var_type;
    auto pred = st.forward(m, drop_path);
    const shape& full = st.target.shape();
    const int64_t bt = full[0], pairs = full[1] - 1, n = full[2];
    const float first = kind == task_kind::segmentation ? segmentation_first_weight : 1.f;
    MVG_CHECK(first >= 0.f && first <= 1.f, "ar_objective: segmentation_first_weight ", first, " outside [0, 1]");
    const shape sh{bt, n, n};
    V total;
    for (int64_t i = first == 0.f ? 1 : 0; i <= pairs; ++i) {
      auto part = [&](const tensor<T, typename Model::backend_type>& t) {
        return ops::slice(V(t), 1, i, i + 1).value().reshape(sh);
      };
      const auto weight = part(st.weight);
      auto li = ops::regression_loss(ops::reshape(ops::slice(pred, 1, i, i + 1), sh), V(part(st.target)), &weight, loss);
      if (i == 0 && first != 1.f) li = ops::scale(li, T(first));
      total = total.value().defined() ? ops::add(total, li) : li;
    }
    return ops::scale(total, T(1) / (T(pairs) + T(first)));
  }

  // The objective contract (see hybrid.hpp): AR draws nothing from g.
  template <class Model>
  typename Model::var_type operator()(const Model& m, const std::vector<sample>& batch, rng& /*g*/,
                                      rng* drop_path = nullptr) const {
    return loss_of(m, stage(m, batch), batch[0].kind, drop_path);
  }
};

}  // namespace mvg::objectives
