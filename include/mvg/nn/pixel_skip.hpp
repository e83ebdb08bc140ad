// mvg/nn/pixel_skip.hpp: which input pixels the decoder's pixel skip sees (nn/conv_decoder.hpp).
// A decoded slot k predicts a target slot t: the next slot under the block-causal (autoregressive)
// mask, itself under full attention (masked image modeling). The skip gives that prediction the
// pixels of the three slots before t, nearest first: for the query label, [X, Py, Px], the query
// image, the prompt label and the prompt image, whichever objective predicts it. Slots before the
// sequence's start are zero. Slot t itself is never among them, so no target reaches its own
// prediction, and the skip adds no path between slots that the encoder's attention mask forbids:
// every source slot is one the decoded slot may already attend to. Under masked image modeling a source
// slot's masked patches reach the skip unmasked: they are targets of their own slot only, whose skip
// never holds them (at inference every source slot is a visible input anyway).
// Not in the paper: the paper's decoder reads only the ViT's features (docs/design.md, "pixel skip").
#pragma once
#include <array>
#include <vector>

#include "mvg/nn/vit.hpp"
#include "mvg/ops/shape_ops.hpp"

namespace mvg::nn {

inline constexpr int64_t pixel_skip_channels = 3;

// The source slots of decoded slot k's skip (−1: before the sequence, zero pixels).
inline std::array<int64_t, pixel_skip_channels> pixel_skip_sources(attention_kind kind, int64_t k) {
  const int64_t t = kind == attention_kind::block_causal ? k + 1 : k;
  std::array<int64_t, pixel_skip_channels> s{};
  for (int64_t c = 0; c < pixel_skip_channels; ++c) s[std::size_t(c)] = t - 1 - c >= 0 ? t - 1 - c : -1;
  return s;
}

// pixels [Bt, S, H, W] → the skip input [Bt·S', 3, H, W] for the decoded slots (all S when empty).
template <class T, backend B>
var<T, B> pixel_skip_input(const tensor<T, B>& pixels, attention_kind kind, const std::vector<int64_t>& decode) {
  const int64_t bt = pixels.dim(0), slots = pixels.dim(1), h = pixels.dim(2), w = pixels.dim(3);
  std::vector<int64_t> ks = decode;
  if (ks.empty())
    for (int64_t k = 0; k < slots; ++k) ks.push_back(k);
  const var<T, B> px(pixels);
  var<T, B> zero;
  std::vector<var<T, B>> parts;
  for (int64_t k : ks)
    for (int64_t src : pixel_skip_sources(kind, k)) {
      if (src >= 0) {
        parts.push_back(ops::slice(px, 1, src, src + 1));
        continue;
      }
      if (!zero.value().defined()) zero = var<T, B>(tensor<T, B>::zeros(shape{bt, 1, h, w}));
      parts.push_back(zero);
    }
  return ops::reshape(ops::concat(parts, 1), {bt * int64_t(ks.size()), pixel_skip_channels, h, w});
}

}  // namespace mvg::nn
