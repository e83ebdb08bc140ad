// mvg/ops/attention.hpp: fused multi-head scaled-dot-product attention as one node.
//   qkv: [B, T, 3·D] (the output of the qkv projection; heads split as [3, heads, d_head] along
//   the last axis, the timm convention) → out: [B, T, D], heads merged back in order.
//   out_h = softmax(q_h k_hᵀ / √d_head + mask) v_h
// Masks: none; block-causal over image slots (a token sees every token of its own slot and of
// earlier slots) — computed without materialising a mask: each slot's queries only multiply the
// keys they may see; or an arbitrary additive [T, T] mask.
// Saved for backward: q, k, v in head-major layout and the attention probabilities.
#pragma once
#include <cmath>
#include <vector>

#include "mvg/ops/detail.hpp"
#include "mvg/ops/matmul.hpp"
#include "mvg/ops/shape_ops.hpp"
#include "mvg/ops/softmax.hpp"

namespace mvg::ops {

template <class T, backend B>
struct attention_mask {
  enum class kind { none, block_causal, additive };
  kind type = kind::none;
  int64_t tokens_per_slot = 0;  // block_causal
  tensor<T, B> additive;        // [T, T]

  static attention_mask none() { return {}; }
  static attention_mask block_causal(int64_t tokens_per_slot) {
    attention_mask m;
    m.type = kind::block_causal;
    m.tokens_per_slot = tokens_per_slot;
    return m;
  }
  static attention_mask from_additive(tensor<T, B> m) {
    attention_mask r;
    r.type = kind::additive;
    r.additive = std::move(m);
    return r;
  }
};

namespace detail {
// Query rows [row0, row0 + rows) may see keys [0, keys).
struct attention_group {
  int64_t row0, rows, keys;
};

template <class T, backend B>
std::vector<attention_group> attention_groups(const attention_mask<T, B>& mask, int64_t t) {
  if (mask.type != attention_mask<T, B>::kind::block_causal) return {{0, t, t}};
  const int64_t g = mask.tokens_per_slot;
  MVG_CHECK(g > 0 && t % g == 0, "attention: block-causal mask with ", g, " tokens per slot does not divide ", t,
            " tokens");
  std::vector<attention_group> groups;
  for (int64_t s = 0; s < t / g; ++s) groups.push_back({s * g, g, (s + 1) * g});
  return groups;
}

}  // namespace detail

template <class T, backend B>
var<T, B> attention(const var<T, B>& qkv, int64_t heads, const attention_mask<T, B>& mask = {}) {
  const shape& s = qkv.shape();
  MVG_CHECK(s.rank() == 3 && s[2] % 3 == 0, "attention: qkv must be [B, T, 3·D], got ", s.str());
  const int64_t batch = s[0], t = s[1], d = s[2] / 3;
  MVG_CHECK(heads > 0 && d % heads == 0, "attention: embed dim ", d, " is not divisible by ", heads, " heads");
  if (mask.type == attention_mask<T, B>::kind::additive)
    MVG_CHECK(mask.additive.shape() == (shape{t, t}), "attention: additive mask ", mask.additive.shape().str(),
              " must be [", t, ", ", t, "]");
  const int64_t dh = d / heads, bh = batch * heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(dh));
  const auto groups = detail::attention_groups(mask, t);

  // [B, T, 3, H, dh] → [3, B, H, T, dh]: q, k, v each become bh dense [T, dh] matrices.
  shape split_shape;
  const auto to_heads = detail::make_permute_map(shape{batch, t, 3, heads, dh}, {2, 0, 3, 1, 4}, split_shape);
  tensor<T, B> qkvh(split_shape);
  detail::permute_copy<T, B>(to_heads, qkv.value().data(), qkvh.data(), qkvh.numel());
  const ptr<const T, B> q = qkvh.data(), k = q + bh * t * dh, v = k + bh * t * dh;

  tensor<T, B> probs = tensor<T, B>::zeros(shape{bh, t, t});
  tensor<T, B> oh(shape{bh, t, dh});
  const ptr<T, B> p = probs.data();
  for (const auto& gr : groups)  // scores = scale · q kᵀ over the visible keys
    detail::strided_gemm<T, B>(bh, false, true, gr.rows, gr.keys, dh, scale, q + gr.row0 * dh, dh, t * dh, k, dh,
                            t * dh, T(0), p + gr.row0 * t, t, t * t);
  {
    const int64_t g = mask.tokens_per_slot;
    const bool causal = mask.type == attention_mask<T, B>::kind::block_causal;
    B::parallel_for_heavy(
        bh * t,
        [=] MVG_HD(int64_t r, const T* mp, T* p) {
          const int64_t i = r % t;
          const int64_t len = causal ? (i / g + 1) * g : t;
          T* row = p + r * t;
          detail::softmax_row(row, row, len, mp ? mp + i * t : nullptr, mask_kind::additive);
        },
        mask.type == attention_mask<T, B>::kind::additive ? mask.additive.data() : ptr<T, B>{}, p);
  }
  for (const auto& gr : groups)  // out = probs v
    detail::strided_gemm<T, B>(bh, false, false, gr.rows, dh, gr.keys, T(1), p + gr.row0 * t, t, t * t, v, dh, t * dh,
                            T(0), oh.data() + gr.row0 * dh, dh, t * dh);
  // [B, H, T, dh] → [B, T, H, dh] = [B, T, D]
  shape merged_shape;
  const auto merge = detail::make_permute_map(shape{batch, heads, t, dh}, {0, 2, 1, 3}, merged_shape);
  tensor<T, B> y(shape{batch, t, d});
  detail::permute_copy<T, B>(merge, oh.data(), y.data(), y.numel());

  const bool rec = autograd::should_record(qkv);
  auto out = autograd::result(y, rec);
  detail::record(rec, [qkvh, probs, xs = qkv.slot(), os = out.slot(), groups, to_heads, batch, heads, t, dh, bh,
                       scale] {
    if (!os->has()) return;
    shape unused;
    const auto split = detail::make_permute_map(shape{batch, t, heads, dh}, {0, 2, 1, 3}, unused);
    tensor<T, B> doh(shape{bh, t, dh});
    detail::permute_copy<T, B>(split, os->grad.data(), doh.data(), doh.numel());
    const ptr<const T, B> q = qkvh.data(), k = q + bh * t * dh, v = k + bh * t * dh, p = probs.data();
    tensor<T, B> dqkvh = tensor<T, B>::zeros(qkvh.shape());
    const ptr<T, B> dq = dqkvh.data(), dk = dq + bh * t * dh, dv = dk + bh * t * dh;
    tensor<T, B> dp = tensor<T, B>::zeros(shape{bh, t, t});
    const ptr<T, B> dpp = dp.data();
    const ptr<const T, B> go = doh.data();
    for (const auto& gr : groups) {
      // dv[keys] += pᵀ dout ; dp = dout vᵀ
      detail::strided_gemm<T, B>(bh, true, false, gr.keys, dh, gr.rows, T(1), p + gr.row0 * t, t, t * t,
                              go + gr.row0 * dh, dh, t * dh, T(1), dv, dh, t * dh);
      detail::strided_gemm<T, B>(bh, false, true, gr.rows, gr.keys, dh, T(1), go + gr.row0 * dh, dh, t * dh, v, dh,
                              t * dh, T(0), dpp + gr.row0 * t, t, t * t);
    }
    // dscores = p ⊙ (dp − Σ dp·p), in place (entries outside the visible keys have p = 0 → 0).
    B::parallel_for_heavy(
        bh * t,
        [=] MVG_HD(int64_t r, const T* p, T* dpp) {
          T* drow = dpp + r * t;
          const T* prow = p + r * t;
          T dot = 0;
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#pragma omp simd reduction(+ : dot)
#endif
          for (int64_t j = 0; j < t; ++j) dot += drow[j] * prow[j];
          for (int64_t j = 0; j < t; ++j) drow[j] = prow[j] * (drow[j] - dot);
        },
        p, dpp);
    for (const auto& gr : groups) {
      // dq = scale · ds k ; dk[keys] += scale · dsᵀ q
      detail::strided_gemm<T, B>(bh, false, false, gr.rows, dh, gr.keys, scale, dpp + gr.row0 * t, t, t * t, k, dh,
                              t * dh, T(0), dq + gr.row0 * dh, dh, t * dh);
      detail::strided_gemm<T, B>(bh, true, false, gr.keys, dh, gr.rows, scale, dpp + gr.row0 * t, t, t * t,
                              q + gr.row0 * dh, dh, t * dh, T(1), dk, dh, t * dh);
    }
    detail::permute_add_back<T, B>(to_heads, dqkvh.data(), xs->get().data(), dqkvh.numel());
  });
  return out;
}

}  // namespace mvg::ops
