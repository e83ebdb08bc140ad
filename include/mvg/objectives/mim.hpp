// mvg/objectives/mim.hpp: the masked-image-modeling objective (paper Eq. 1, Painter-style).
//   canvas slots [Px1, Py1, …, Pxn, Pyn, X, Y] with full attention; a fraction of the patch tokens of
//   the label slots (optionally of the image slots too) is replaced by the mask token; the loss
//   covers masked patches only (a 0/1 per-pixel weight, times the segmentation weights).
// Masking: uniform (each label slot loses round(ratio·G) random tokens) or block-wise (BEiT: random
// rectangles of aspect 0.3–3.3 until the count is reached); whole_query_label masks Y entirely,
// which is what MIM-style inference does.
#pragma once
#include <cmath>

#include "mvg/objectives/staging.hpp"
#include "mvg/ops/loss.hpp"

namespace mvg::objectives {

enum class mask_strategy { uniform, block, whole_query_label };

struct mim_options {
  double mask_ratio = 0.75;  // the paper ablates 0.5 and 0.75
  mask_strategy strategy = mask_strategy::block;
  bool mask_images = false;  // also mask tokens of the image slots
};

// Sets `want` of a slot's `tokens` entries to 1, chosen uniformly without replacement (MAE's masking).
inline void mask_uniform(float* slot, int64_t tokens, int64_t want, rng& g) {
  std::vector<int64_t> idx(static_cast<size_t>(tokens));
  for (int64_t i = 0; i < tokens; ++i) idx[i] = i;
  for (int64_t k = 0; k < want; ++k) {
    const int64_t j = k + static_cast<int64_t>(g.below(static_cast<uint64_t>(tokens - k)));
    std::swap(idx[k], idx[j]);
    slot[idx[k]] = 1.f;
  }
}

// The token mask of MIM-style inference: Y's tokens all masked, nothing else. Draws nothing.
inline std::vector<float> whole_query_label_mask(int64_t pairs, int64_t grid) {
  const int64_t slots = 2 * pairs + 2, tokens = grid * grid;
  std::vector<float> m(static_cast<size_t>(slots * tokens), 0.f);
  std::fill(m.end() - tokens, m.end(), 1.f);
  return m;
}

// Token mask [slots · G] (1 = masked) for one canvas with `pairs` prompt pairs on a grid×grid patch grid.
inline std::vector<float> mim_token_mask(int64_t pairs, int64_t grid, const mim_options& o, rng& g) {
  MVG_CHECK(o.mask_ratio > 0 && o.mask_ratio <= 1, "mim: mask_ratio ", o.mask_ratio, " must be in (0, 1]");
  if (o.strategy == mask_strategy::whole_query_label) return whole_query_label_mask(pairs, grid);
  const int64_t slots = 2 * pairs + 2, tokens = grid * grid;
  std::vector<float> m(static_cast<size_t>(slots * tokens), 0.f);
  const int64_t want = std::max<int64_t>(1, std::llround(o.mask_ratio * double(tokens)));
  for (int64_t s = 0; s < slots; ++s) {
    if (s % 2 == 0 && !o.mask_images) continue;
    float* slot = m.data() + s * tokens;
    int64_t count = 0;
    if (o.strategy == mask_strategy::uniform) {
      mask_uniform(slot, tokens, want, g);
      continue;
    }
    for (int attempt = 0; count < want && attempt < 1000; ++attempt) {  // BEiT block-wise masking
      const double area = g.uniform(std::min<double>(4, want - count), std::max<double>(4, want - count));
      const double aspect = std::exp(g.uniform(std::log(0.3), std::log(1 / 0.3)));
      const int64_t h = std::clamp<int64_t>(std::llround(std::sqrt(area * aspect)), 1, grid);
      const int64_t w = std::clamp<int64_t>(std::llround(std::sqrt(area / aspect)), 1, grid);
      const int64_t top = static_cast<int64_t>(g.below(static_cast<uint64_t>(grid - h + 1)));
      const int64_t left = static_cast<int64_t>(g.below(static_cast<uint64_t>(grid - w + 1)));
      for (int64_t y = top; y < top + h && count < want; ++y)
        for (int64_t x = left; x < left + w && count < want; ++x)
          if (slot[y * grid + x] == 0.f) {
            slot[y * grid + x] = 1.f;
            ++count;
          }
    }
    for (int64_t i = 0; count < want && i < tokens; ++i)  // top up if the blocks fell short
      if (slot[i] == 0.f) {
        slot[i] = 1.f;
        ++count;
      }
  }
  return m;
}

struct mim_objective {
  mim_options mask;
  ops::loss_params loss{ops::loss_kind::smooth_l1, 0.01};

  // The canvas [Px1, Py1, …, X, Y] with its token mask; targets are the decoded slots' own pixels
  // (label slots; all slots if images are masked), weights = masked patch × segmentation weight.
  template <class Model>
  auto stage(const Model&, const std::vector<sample>& batch, rng& g) const {
    using T = typename Model::scalar;
    using Bk = typename Model::backend_type;
    constexpr int64_t grid = Model::cfg.grid(), n = Model::cfg.image_size;
    staged_batch<T, Bk> st;
    st.pixels = sequence_pixels<T, Bk>(batch, n, true);
    const int64_t pairs = static_cast<int64_t>(batch[0].pairs()), bt = static_cast<int64_t>(batch.size());
    const int64_t slots = 2 * pairs + 2, tokens = grid * grid;
    st.roles = sequence_roles(pairs, slots);
    for (int64_t s = 0; s < slots; ++s)
      if (s % 2 == 1 || mask.mask_images) st.decode.push_back(s);
    std::vector<T> tmask;
    host_images<T> tgt(n), w(n);
    for (int64_t b = 0; b < bt; ++b) {
      const auto mb = mim_token_mask(pairs, grid, mask, g);
      tmask.insert(tmask.end(), mb.begin(), mb.end());
      const sample& smp = batch[std::size_t(b)];
      for (int64_t s : st.decode) {
        const auto& img = slot_image(smp, s);
        tgt.add(img, "a canvas slot");
        if (s % 2 == 1) {
          const auto lw = label_weights(smp, img);
          w.add_masked(mb.data() + s * tokens, grid, &lw);
        } else {
          w.add_masked(mb.data() + s * tokens, grid);
        }
      }
    }
    st.token_mask = tensor<T, Bk>::from_host(shape{bt, slots * tokens}, tmask);
    const int64_t decoded = static_cast<int64_t>(st.decode.size());
    st.target = tgt.template upload<Bk>(bt, decoded);
    st.weight = w.template upload<Bk>(bt, decoded);
    return st;
  }

  // The loss over the masked patches of the decoded slots.
  template <class Model, class Staged>
  typename Model::var_type loss_of(const Model& m, const Staged& st, rng* drop_path = nullptr) const {
    return ops::regression_loss(st.forward(m, drop_path), typename Model::var_type(st.target), &st.weight, loss);
  }

  template <class Model>
  typename Model::var_type operator()(const Model& m, const std::vector<sample>& batch, rng& g,
                                      rng* drop_path = nullptr) const {
    return loss_of(m, stage(m, batch, g), drop_path);
  }
};

}  // namespace mvg::objectives
