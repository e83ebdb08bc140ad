// mvg/nn/vit.hpp: the ViT encoder over a sequence of image slots.
//   pixels [Bt, S, H, W] → tokens: (masked ? mask_token : patch_embed(patch)) + pos_embed[j] + role_embed[role(k)]
//   ordered slot by slot, row-major inside a slot; `depth` pre-norm blocks; the outputs of blocks
//   depth/4, depth/2, 3·depth/4 and depth (1-based), each through `norm`, concatenated shallow first
//   → features [Bt, S·G, 4·D] for the decoder.
// One encoder serves both objectives: the caller picks full attention (MIM canvas) or block-causal
// attention over slots (the autoregressive visual sentence).
#pragma once
#include <algorithm>
#include <vector>

#include "mvg/nn/config.hpp"
#include "mvg/nn/layer_norm.hpp"
#include "mvg/nn/patch_embed.hpp"
#include "mvg/nn/vit_block.hpp"
#include "mvg/ops/elementwise.hpp"
#include "mvg/ops/embedding.hpp"
#include "mvg/ops/shape_ops.hpp"

namespace mvg {

// The role of a slot in a sequence [Px1, Py1, …, Pxn, Pyn, X, Y] (rows of role_embed).
enum class role : int64_t { prompt_image = 0, prompt_label = 1, query_image = 2, query_label = 3 };

enum class attention_kind { full, block_causal };

// Roles of `slots` consecutive slots of a sequence with n prompt pairs (prompt pairs first).
inline std::vector<int64_t> sequence_roles(int64_t prompt_pairs, int64_t slots) {
  std::vector<int64_t> r;
  for (int64_t k = 0; k < slots; ++k) {
    const bool label = k % 2 == 1, query = k / 2 >= prompt_pairs;
    r.push_back(static_cast<int64_t>(query ? (label ? role::query_label : role::query_image)
                                           : (label ? role::prompt_label : role::prompt_image)));
  }
  return r;
}

namespace nn {

template <class T, backend B>
struct vit_encoder {
  patch_embed<T, B> embed;
  param_ref<T, B> pos_embed, role_embed, mask_token;
  std::vector<vit_block<T, B>> blocks;
  layer_norm<T, B> norm;
  int64_t image_size = 0, patch = 0, dim = 0;
  std::vector<int> taps;  // 1-based block indices whose outputs the decoder reads

  vit_encoder() = default;
  vit_encoder(param_set<T, B>& ps, const config& c) : image_size(c.image_size), patch(c.patch), dim(c.embed_dim) {
    const int64_t g = c.tokens_per_slot();
    embed = patch_embed<T, B>(ps, "patch_embed", c.patch, c.embed_dim);
    pos_embed = declare(ps, "pos_embed", shape{1, g, dim}, init_kind::sincos_2d, false);
    role_embed = declare(ps, "role_embed", shape{4, dim}, init_kind::slot_normal, false);
    mask_token = declare(ps, "mask_token", shape{1, 1, dim}, init_kind::trunc_normal, false);
    for (int i = 0; i < c.depth; ++i) {
      const double dp = c.depth > 1 ? c.drop_path * i / (c.depth - 1) : c.drop_path;
      blocks.emplace_back(ps, "blocks." + std::to_string(i), dim, c.heads, c.mlp_hidden(), dp);
    }
    norm = layer_norm<T, B>(ps, "norm", dim);
    for (int i = 0; i < 4; ++i) taps.push_back(c.tap(i));
  }

  int64_t tokens_per_slot() const { return (image_size / patch) * (image_size / patch); }

  // pixels: [Bt, S, H, W] in [0, 1]; roles: S role ids; token_mask: [Bt, S·G] of 0/1 (1 = use the
  // mask token) or nullptr; gen: drop-path randomness when training, nullptr otherwise.
  var<T, B> operator()(const tensor<T, B>& pixels, const std::vector<int64_t>& roles, const tensor<T, B>* token_mask,
                       attention_kind kind, rng* gen = nullptr) const {
    const shape& s = pixels.shape();
    MVG_CHECK(s.rank() == 4 && s[2] == image_size && s[3] == image_size, "vit_encoder: pixels ", s.str(),
              " must be [batch, slots, ", image_size, ", ", image_size, "]");
    const int64_t bt = s[0], slots = s[1], g = tokens_per_slot();
    MVG_CHECK(static_cast<int64_t>(roles.size()) == slots, "vit_encoder: ", roles.size(), " roles for ", slots,
              " slots");
    var<T, B> x = embed(var<T, B>(pixels.reshape({bt * slots, image_size, image_size})));
    x = ops::reshape(x, {bt, slots * g, dim});
    if (token_mask) {
      MVG_CHECK(token_mask->shape() == (shape{bt, slots * g}), "vit_encoder: token mask ", token_mask->shape().str(),
                " must be [", bt, ", ", slots * g, "]");
      auto m = token_mask->reshape({bt, slots * g, 1});
      tensor<T, B> keep(m.shape());
      B::parallel_for(keep.numel(), [] MVG_HD(int64_t i, const T* mp, T* kp) { kp[i] = T(1) - mp[i]; }, m.data(),
                      keep.data());
      x = ops::add(ops::mul(x, var<T, B>(keep)), ops::mul(mask_token(), var<T, B>(m)));
    }
    x = ops::reshape(x, {bt, slots, g, dim});
    x = ops::add(x, ops::reshape(pos_embed(), {1, 1, g, dim}));
    x = ops::add(x, ops::reshape(ops::embedding(role_embed(), roles), {1, slots, 1, dim}));
    x = ops::reshape(x, {bt, slots * g, dim});

    const auto mask = kind == attention_kind::block_causal ? ops::attention_mask<T, B>::block_causal(g)
                                                           : ops::attention_mask<T, B>::none();
    std::vector<var<T, B>> tapped;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      x = blocks[i](x, mask, gen);
      if (std::find(taps.begin(), taps.end(), static_cast<int>(i + 1)) != taps.end()) tapped.push_back(norm(x));
    }
    return ops::concat(tapped, -1);
  }
};

}  // namespace nn
}  // namespace mvg
