// mvg/nn/conv_decoder.hpp: the MVG prediction head, run per slot (no bleed across slots).
//   features [Bt, S, G, 4D] → Linear(4D → p·p·C) → pixel-shuffle → [Bt·S, C, H, W]
//   → Conv3×3(C→C, pad 1) → LayerNorm over channels → GELU → Conv1×1(C→1) → [Bt, S, H, W]
// One output channel, no activation (pixels are regressed directly, in [0, 1] units).
// Pixel skip (decoder_options::pixel_skip, off by default; not in the paper): conv1's output also gets
// Conv3×3(3→C, no bias) of three input slots' pixels (nn/pixel_skip.hpp), so a prediction can follow the
// prompt label's outline at full resolution where the 8-pixel patch grid alone gives blobs. Its weight
// starts at zero: at step 0 the decoder is the paper's, and the same seed draws the same other weights.
// Copy gate (decoder_options::copy_gate, needs the pixel skip; not in the paper): per pixel, the output is
// (1 − g)·v + g·c, v the head's value, c the skip's second source (for the query label: the prompt label,
// nn/pixel_skip.hpp), g = σ(Conv1×1(C→1) of the head's features). Copying the prompt's label is where
// in-context segmentation starts (the copy baseline); the gate lets the model keep it where its own map
// is unsure and overrule it where the query's image says otherwise. Its weight and bias start at zero
// (g = ½ everywhere).
// Refinement (decoder_options::refine, needs the pixel skip; not in the paper): v also gets
// Conv3×3(16→1)(GELU(Conv3×3(C→16) of the head's features + Conv3×3(3→16) of the skip's pixels)), a second
// full-resolution stage that can move an outline a few pixels; its output weight starts at zero, so at
// step 0 the decoder is the skip's. Neither is in the main job (docs/results.md, "A copy gate and a
// refinement stage").
// Label fusion (decoder_options::label_fusion, needs the pixel skip; not in the paper): conv1's output also
// gets Conv3×3(1→C, no bias) of the skip's second source carried onto the first by patch-based label fusion
// (ops/label_fusion.hpp) guided by the third: for the query label, the prompt label moved to where the query
// image matches the prompt image. The fusion is class-agnostic and has no parameters, so it reads a class
// never trained on as well as a trained one. Its weight starts at zero (step 0 = the skip's decoder).
// Fusion holes (decoder_options::fusion_holes, needs label fusion; not in the paper): a second fused channel
// beside the first, in which the query's pixels that are exactly 0 (inpainting holes) do not count in the
// patch distance (ops::fusion_options::zero_is_missing): in a hole the prompt's values around the same place
// are averaged instead of those of whatever is dark in the prompt. Both channels go through one
// Conv3×3(2→C); the second channel's weight, decoder.fusion_holes.weight, starts at zero too.
#pragma once
#include "mvg/nn/config.hpp"
#include "mvg/nn/linear.hpp"
#include "mvg/nn/pixel_skip.hpp"
#include "mvg/ops/channel_layer_norm.hpp"
#include "mvg/ops/conv2d.hpp"
#include "mvg/ops/gelu.hpp"
#include "mvg/ops/label_fusion.hpp"
#include "mvg/ops/pixel_shuffle.hpp"
#include "mvg/ops/reduce.hpp"
#include "mvg/ops/shape_ops.hpp"
#include "mvg/ops/softmax.hpp"

namespace mvg::nn {

struct decoder_options {
  bool pixel_skip = false;
  bool copy_gate = false;  // needs pixel_skip
  bool refine = false;     // needs pixel_skip
  bool label_fusion = false;  // needs pixel_skip
  bool fusion_holes = false;  // needs label_fusion
};

inline constexpr int64_t refine_channels = 16;

template <class T, backend B>
struct conv_decoder {
  linear<T, B> embed;
  param_ref<T, B> conv1_w, conv1_b, norm_w, norm_b, conv2_w, conv2_b;
  param_ref<T, B> skip_w;  // set only with the pixel skip
  param_ref<T, B> gate_w, gate_b;  // set only with the copy gate
  param_ref<T, B> refine_w, refine_b, refine_skip_w, refine_out_w, refine_out_b;  // set only with refine
  param_ref<T, B> fusion_w;  // set only with label fusion
  param_ref<T, B> holes_w;  // set only with fusion holes
  int64_t patch = 0, channels = 0, image_size = 0;

  conv_decoder() = default;
  conv_decoder(param_set<T, B>& ps, const config& c, decoder_options o = {})
      : embed(ps, "decoder.embed", 4 * c.embed_dim, int64_t(c.patch) * c.patch * c.decoder_channels),
        conv1_w(declare(ps, "decoder.conv1.weight", shape{c.decoder_channels, c.decoder_channels, 3, 3},
                        init_kind::decoder_conv, true)),
        conv1_b(declare(ps, "decoder.conv1.bias", shape{c.decoder_channels}, init_kind::zeros, false)),
        norm_w(declare(ps, "decoder.norm.weight", shape{c.decoder_channels}, init_kind::ones, false)),
        norm_b(declare(ps, "decoder.norm.bias", shape{c.decoder_channels}, init_kind::zeros, false)),
        conv2_w(declare(ps, "decoder.conv2.weight", shape{1, c.decoder_channels, 1, 1}, init_kind::decoder_conv, true)),
        conv2_b(declare(ps, "decoder.conv2.bias", shape{1}, init_kind::zeros, false)),
        patch(c.patch),
        channels(c.decoder_channels),
        image_size(c.image_size) {
    if (o.pixel_skip)
      skip_w = declare(ps, "decoder.skip.weight", shape{c.decoder_channels, pixel_skip_channels, 3, 3},
                       init_kind::zeros, true);
    MVG_CHECK(!o.copy_gate || o.pixel_skip, "conv_decoder: the copy gate copies a pixel-skip source: "
              "decoder_options{.copy_gate = true} needs .pixel_skip = true");
    MVG_CHECK(!o.refine || o.pixel_skip, "conv_decoder: the refinement reads the pixel skip's sources: "
              "decoder_options{.refine = true} needs .pixel_skip = true");
    MVG_CHECK(!o.label_fusion || o.pixel_skip, "conv_decoder: label fusion moves the pixel skip's prompt label: "
              "decoder_options{.label_fusion = true} needs .pixel_skip = true");
    MVG_CHECK(!o.fusion_holes || o.label_fusion, "conv_decoder: fusion holes is a second label-fusion channel: "
              "decoder_options{.fusion_holes = true} needs .label_fusion = true");
    if (o.refine) {
      refine_w = declare(ps, "decoder.refine.weight", shape{refine_channels, c.decoder_channels, 3, 3},
                         init_kind::decoder_conv, true);
      refine_b = declare(ps, "decoder.refine.bias", shape{refine_channels}, init_kind::zeros, false);
      refine_skip_w = declare(ps, "decoder.refine_skip.weight", shape{refine_channels, pixel_skip_channels, 3, 3},
                              init_kind::decoder_conv, true);
      refine_out_w = declare(ps, "decoder.refine_out.weight", shape{1, refine_channels, 3, 3}, init_kind::zeros, true);
      refine_out_b = declare(ps, "decoder.refine_out.bias", shape{1}, init_kind::zeros, false);
    }
    if (o.copy_gate) {
      gate_w = declare(ps, "decoder.gate.weight", shape{1, c.decoder_channels, 1, 1}, init_kind::zeros, true);
      gate_b = declare(ps, "decoder.gate.bias", shape{1}, init_kind::zeros, false);
    }
    if (o.label_fusion)
      fusion_w = declare(ps, "decoder.fusion.weight", shape{c.decoder_channels, 1, 3, 3}, init_kind::zeros, true);
    if (o.fusion_holes)
      holes_w = declare(ps, "decoder.fusion_holes.weight", shape{c.decoder_channels, 1, 3, 3}, init_kind::zeros, true);
  }

  bool has_pixel_skip() const { return skip_w.set != nullptr; }
  bool has_copy_gate() const { return gate_w.set != nullptr; }
  bool has_refine() const { return refine_w.set != nullptr; }
  bool has_label_fusion() const { return fusion_w.set != nullptr; }
  bool has_fusion_holes() const { return holes_w.set != nullptr; }

  // feats: [Bt, S, G, 4D] → [Bt, S, H, W]; skip: [Bt·S, 3, H, W] with the pixel skip, else undefined.
  var<T, B> operator()(const var<T, B>& feats, const var<T, B>& skip = {}) const {
    const shape& s = feats.shape();
    const int64_t grid = image_size / patch;
    MVG_CHECK(s.rank() == 4 && s[2] == grid * grid && s[3] == embed.in, "conv_decoder: features ", s.str(),
              " must be [batch, slots, ", grid * grid, ", ", embed.in, "]");
    const int64_t bt = s[0], slots = s[1];
    auto x = ops::reshape(embed(feats), {bt * slots, grid, grid, patch * patch * channels});
    x = ops::pixel_shuffle(x, patch, channels);
    x = ops::conv2d(x, conv1_w(), conv1_b(), {1, 1});
    if (has_pixel_skip()) {
      const shape want{bt * slots, pixel_skip_channels, image_size, image_size};
      MVG_CHECK(skip.value().defined() && skip.shape() == want, "conv_decoder: the pixel skip needs ", want.str(),
                " pixels");
      x = ops::add(x, ops::conv2d(skip, skip_w(), static_cast<const var<T, B>*>(nullptr), {1, 1}));
    }
    if (has_label_fusion()) {
      using parts = std::vector<var<T, B>>;
      const bool holes = has_fusion_holes();
      const auto fused = holes ? ops::concat(parts{fused_prompt(skip, false), fused_prompt(skip, true)}, 1)
                               : fused_prompt(skip, false);
      const auto w = holes ? ops::concat(parts{fusion_w(), holes_w()}, 1) : fusion_w();
      x = ops::add(x, ops::conv2d(fused, w, static_cast<const var<T, B>*>(nullptr), {1, 1}));
    }
    x = ops::gelu(ops::channel_layer_norm(x, norm_w(), norm_b(), T(1e-6)));
    auto v = ops::conv2d(x, conv2_w(), conv2_b(), {1, 0});
    if (has_refine()) {
      auto h = ops::add(ops::conv2d(x, refine_w(), refine_b(), {1, 1}),
                        ops::conv2d(skip, refine_skip_w(), static_cast<const var<T, B>*>(nullptr), {1, 1}));
      v = ops::add(v, ops::conv2d(ops::gelu(h), refine_out_w(), refine_out_b(), {1, 1}));
    }
    if (has_copy_gate()) v = gated_copy(v, ops::conv2d(x, gate_w(), gate_b(), {1, 0}), ops::slice(skip, 1, 1, 2));
    return ops::reshape(v, {bt, slots, image_size, image_size});
  }

private:
  // The skip's source 1 (the prompt label) carried onto source 0 (the query image) by matching source 2's
  // patches (the prompt image): [N, 1, H, W], data only (no gradient flows into pixels). With
  // zero_is_missing the query's zero pixels do not count in the patch distance (fusion holes).
  static var<T, B> fused_prompt(const var<T, B>& skip, bool zero_is_missing) {
    const auto source = [&](int64_t c) { return ops::slice(skip, 1, c, c + 1).value(); };
    ops::fusion_options o;
    o.zero_is_missing = zero_is_missing;
    return var<T, B>(ops::label_fusion(source(0), source(2), source(1), o));
  }

  // (1 − σ(l))·v + σ(l)·c per pixel, all [N, 1, H, W]: the two-way softmax of (0, l) weighs (v, c).
  static var<T, B> gated_copy(const var<T, B>& v, const var<T, B>& l, const var<T, B>& c) {
    const var<T, B> zero(tensor<T, B>::zeros(l.shape()));
    using parts = std::vector<var<T, B>>;
    const auto logits_last = ops::permute(ops::concat(parts{zero, l}, 1), {0, 2, 3, 1});  // [N, H, W, 2]
    const auto w = ops::permute(ops::softmax(logits_last), {0, 3, 1, 2});
    return ops::sum(ops::mul(w, ops::concat(parts{v, c}, 1)), 1, true);
  }
};

}  // namespace mvg::nn
