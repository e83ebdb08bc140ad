// mvg/nn/model.hpp: mvg::model<Config, Backend>, the one type a user names.
//   model<presets::tiny, cpu> net(seed);   // switch to the GPU by writing mvg::cuda instead of cpu
//   model<presets::tiny, cpu> mae_net(seed, init_scheme::mae);   // MAE's init instead of timm's
//   auto pred = net.forward(pixels, roles, token_mask, attention_kind::block_causal);
//   model<presets::tiny, cpu> skip_net(seed, init_scheme::timm, {}, {.pixel_skip = true});  // nn/pixel_skip.hpp
// forward() returns the decoder's prediction for every slot, or only for `decode_slots` (the
// autoregressive objective needs just the image slots, which saves most of the decoder's cost).
#pragma once
#include <vector>

#include "mvg/nn/config.hpp"
#include "mvg/nn/conv_decoder.hpp"
#include "mvg/nn/parameters.hpp"
#include "mvg/nn/position_heads.hpp"
#include "mvg/nn/vit.hpp"

namespace mvg {

template <config C, backend B>
class model {
  static_assert(check_config<C>());

public:
  using scalar = typename scalar_of<C.scalar>::type;
  using backend_type = B;
  using tensor_type = tensor<scalar, B>;
  using var_type = var<scalar, B>;
  static constexpr config cfg = C;

  // position_heads: heads that attend to the same position in every slot from step 0
  // (nn/position_heads.hpp; off by default). decoder: the pixel skip (nn/pixel_skip.hpp) and the copy gate and
  // refinement behind it (nn/conv_decoder.hpp), all off by default.
  explicit model(uint64_t seed = 0, init_scheme init = init_scheme::timm,
                 nn::position_heads_options position_heads = {}, nn::decoder_options decoder = {}) {
    encoder_ = nn::vit_encoder<scalar, B>(params_, C);
    decoder_ = nn::conv_decoder<scalar, B>(params_, C, decoder);
    params_.allocate();
    params_.initialize(seed, init);
    nn::init_position_heads(params_, C, position_heads, seed);
  }
  model(const model&) = delete;  // modules hold pointers into params_
  model& operator=(const model&) = delete;

  // pixels [Bt, S, H, W]; roles: S role ids; token_mask [Bt, S·G] or nullptr.
  // Returns [Bt, S', H, W] for the S' slots in decode_slots (all slots when empty).
  var_type forward(const tensor_type& pixels, const std::vector<int64_t>& roles, const tensor_type* token_mask,
                   attention_kind kind, const std::vector<int64_t>& decode_slots = {}, rng* gen = nullptr) const {
    const int64_t bt = pixels.dim(0), slots = pixels.dim(1), g = C.tokens_per_slot(), f = 4 * C.embed_dim;
    auto feats = ops::reshape(encoder_(pixels, roles, token_mask, kind, gen), {bt, slots, g, f});
    if (!decode_slots.empty()) {
      std::vector<var_type> parts;
      for (int64_t k : decode_slots) {
        MVG_CHECK(k >= 0 && k < slots, "model: decode slot ", k, " outside ", slots, " slots");
        parts.push_back(ops::slice(feats, 1, k, k + 1));
      }
      feats = parts.size() == 1 ? parts[0] : ops::concat(parts, 1);
    }
    if (!decoder_.has_pixel_skip()) return decoder_(feats);
    return decoder_(feats, nn::pixel_skip_input(pixels, kind, decode_slots));
  }

  param_set<scalar, B>& parameters() { return params_; }
  const param_set<scalar, B>& parameters() const { return params_; }

private:
  param_set<scalar, B> params_;
  nn::vit_encoder<scalar, B> encoder_;
  nn::conv_decoder<scalar, B> decoder_;
};

}  // namespace mvg
