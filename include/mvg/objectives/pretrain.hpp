// mvg/objectives/pretrain.hpp: masked-image-modeling pretraining on medical images, without labels
// (paper Appendix B, Table 6: the encoder starts from a "Medical MIM" model, which beats supervised
// and natural-image MIM starts on every segmentation set).
//   canvas: the image slots of an in-context sample, [Px1, …, Pxn, X] (roles prompt/query image);
//     inpainting contributes its hole-free images (the label slots) instead of the holed ones;
//   masking: each slot loses round(ratio·G) tokens chosen uniformly (MAE: ratio 0.75), replaced by
//     the mask token; attention is full, so a masked patch can be read off a neighbouring slice;
//   loss: the MIM objective's smooth-L1 on the masked patches of every slot.
// The paper does not say which canvas its Medical MIM saw; this one is a choice (docs/design.md).
#pragma once
#include <cmath>

#include "mvg/nn/model.hpp"
#include "mvg/objectives/mim.hpp"

namespace mvg::objectives {

// The unlabelled images a sample contributes to pretraining, prompts first.
inline std::vector<data::image2d<float>> pretrain_images(const sample& s) {
  const bool holed = s.kind == task_kind::inpainting;
  std::vector<data::image2d<float>> out = holed ? s.prompt_labels : s.prompt_images;
  out.push_back(holed ? s.target : s.query);
  return out;
}

struct pretrain_objective {
  double mask_ratio = 0.75;
  ops::loss_params loss{ops::loss_kind::smooth_l1, 0.01};

  // Token mask [slots · G] (1 = masked): each slot masked independently.
  std::vector<float> token_mask(int64_t slots, int64_t grid, rng& g) const {
    MVG_CHECK(mask_ratio > 0 && mask_ratio < 1, "pretrain: mask_ratio ", mask_ratio, " must be in (0, 1)");
    const int64_t tokens = grid * grid, want = std::max<int64_t>(1, std::llround(mask_ratio * double(tokens)));
    std::vector<float> m(static_cast<size_t>(slots * tokens), 0.f);
    for (int64_t s = 0; s < slots; ++s) mask_uniform(m.data() + s * tokens, tokens, want, g);
    return m;
  }

  // The image slots [Px1, …, Pxn, X] with their token mask; the target is the pixels themselves.
  template <class Model>
  auto stage(const Model&, const std::vector<sample>& batch, rng& g) const {
    using T = typename Model::scalar;
    using Bk = typename Model::backend_type;
    constexpr int64_t grid = Model::cfg.grid(), n = Model::cfg.image_size;
    detail::check_batch(batch);
    const int64_t pairs = static_cast<int64_t>(batch[0].pairs()), bt = static_cast<int64_t>(batch.size());
    const int64_t slots = pairs + 1, tokens = grid * grid;
    staged_batch<T, Bk> st;
    host_images<T> host(n), w(n);
    std::vector<T> tmask;
    for (const auto& s : batch) {
      for (const auto& img : pretrain_images(s)) host.add(img, "a pretraining image");
      const auto mb = token_mask(slots, grid, g);
      tmask.insert(tmask.end(), mb.begin(), mb.end());
      for (int64_t k = 0; k < slots; ++k) w.add_masked(mb.data() + k * tokens, grid);
    }
    st.pixels = host.template upload<Bk>(bt, slots);
    st.token_mask = tensor<T, Bk>::from_host(shape{bt, slots * tokens}, tmask);
    st.roles.assign(static_cast<size_t>(pairs), int64_t(role::prompt_image));
    st.roles.push_back(int64_t(role::query_image));
    st.target = st.pixels;  // the same device tensor: the images are their own targets
    st.weight = w.template upload<Bk>(bt, slots);
    return st;
  }

  template <class Model>
  typename Model::var_type operator()(const Model& m, const std::vector<sample>& batch, rng& g,
                                      rng* drop_path = nullptr) const {
    const auto st = stage(m, batch, g);
    return ops::regression_loss(st.forward(m, drop_path), typename Model::var_type(st.target), &st.weight, loss);
  }
};

}  // namespace mvg::objectives
