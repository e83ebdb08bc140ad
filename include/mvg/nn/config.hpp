// mvg/nn/config.hpp: the model size as a compile-time value.
// A config is a structural type, so it is a template argument: mvg::model<mvg::presets::tiny, mvg::cpu>.
// A custom size is three lines:
//   constexpr mvg::config my_size{.image_size = 128, .patch = 16, .embed_dim = 384,
//                                 .depth = 8, .heads = 6};
//   mvg::model<my_size, mvg::cpu> net(/*seed=*/0);
#pragma once
#include <string>

#include "mvg/core/error.hpp"

namespace mvg {

enum class dtype { f32, f64 };

template <dtype D>
struct scalar_of;
template <>
struct scalar_of<dtype::f32> {
  using type = float;
};
template <>
struct scalar_of<dtype::f64> {
  using type = double;
};

struct config {
  int image_size = 64;
  int patch = 8;
  int embed_dim = 192;
  int depth = 8;
  int heads = 3;
  int mlp_ratio = 4;  // hidden = mlp_ratio · embed_dim
  int decoder_channels = 64;
  dtype scalar = dtype::f32;
  double drop_path = 0.0;  // stochastic depth at the last block (linearly ramped), timm-style

  constexpr int grid() const { return image_size / patch; }           // patches per side
  constexpr int tokens_per_slot() const { return grid() * grid(); }   // G
  constexpr int head_dim() const { return embed_dim / heads; }
  constexpr int mlp_hidden() const { return mlp_ratio * embed_dim; }
  constexpr int tap(int i) const { return (i + 1) * depth / 4; }      // 1-based block index of tap i
};

// Plain-sentence diagnostics for configurations that cannot be built.
template <config C>
constexpr bool check_config() {
  static_assert(C.image_size > 0 && C.patch > 0, "image_size and patch must be positive");
  static_assert(C.image_size % C.patch == 0, "image_size must be divisible by patch");
  static_assert(C.embed_dim > 0 && C.heads > 0, "embed_dim and heads must be positive");
  static_assert(C.embed_dim % C.heads == 0, "embed_dim must be divisible by heads");
  static_assert(C.depth >= 4 && C.depth % 4 == 0,
                "depth must be a positive multiple of 4: the decoder taps blocks depth/4, depth/2, 3·depth/4, depth");
  static_assert(C.mlp_ratio > 0 && C.decoder_channels > 0, "mlp_ratio and decoder_channels must be positive");
  static_assert(C.drop_path >= 0.0 && C.drop_path < 1.0, "drop_path must be in [0, 1)");
  return true;
}

namespace presets {
// tiny: trains on a 2-core CPU; the size every benchmark compares (SPEC §2).
inline constexpr config tiny{.image_size = 64, .patch = 8, .embed_dim = 192, .depth = 8, .heads = 3,
                             .mlp_ratio = 4, .decoder_channels = 64};
inline constexpr config small{.image_size = 128, .patch = 16, .embed_dim = 384, .depth = 12, .heads = 6,
                              .mlp_ratio = 4, .decoder_channels = 64};
inline constexpr config base{.image_size = 224, .patch = 16, .embed_dim = 768, .depth = 12, .heads = 12,
                             .mlp_ratio = 4, .decoder_channels = 128};
// large: the paper's ViT-L/16 at its 448² crop.
inline constexpr config large{.image_size = 448, .patch = 16, .embed_dim = 1024, .depth = 24, .heads = 16,
                              .mlp_ratio = 4, .decoder_channels = 256};
}  // namespace presets

}  // namespace mvg
