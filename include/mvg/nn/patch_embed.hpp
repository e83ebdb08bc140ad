// mvg/nn/patch_embed.hpp: the p×p, stride-p convolution of a 1-channel image, computed as what it
// is — a Linear map of each flattened patch (weight [D, 1, p, p] viewed as [D, p·p]).
//   images: [N, H, W] → tokens [N, G, D], row-major over the patch grid.
#pragma once
#include "mvg/nn/parameters.hpp"
#include "mvg/ops/linear.hpp"
#include "mvg/ops/shape_ops.hpp"

namespace mvg::nn {

template <class T, backend B>
struct patch_embed {
  param_ref<T, B> weight, bias;
  int64_t patch = 1, dim = 1;

  patch_embed() = default;
  patch_embed(param_set<T, B>& ps, const std::string& prefix, int64_t patch_size, int64_t embed_dim)
      : weight(declare(ps, prefix + ".proj.weight", shape{embed_dim, 1, patch_size, patch_size},
                       init_kind::patch_weight, true)),
        // timm and MAE both leave the Conv2d bias at PyTorch's default, U(±1/√(p·p))
        bias(declare(ps, prefix + ".proj.bias", shape{embed_dim}, init_kind::torch_default, false,
                     patch_size * patch_size)),
        patch(patch_size),
        dim(embed_dim) {}

  var<T, B> operator()(const var<T, B>& images) const {
    const shape& s = images.shape();
    MVG_CHECK(s.rank() == 3 && s[1] % patch == 0 && s[2] % patch == 0, "patch_embed: images ", s.str(),
              " must be [N, H, W] with H and W divisible by the patch size ", patch);
    const int64_t n = s[0], gh = s[1] / patch, gw = s[2] / patch;
    // [N, gh, p, gw, p] → [N, gh, gw, p, p]: each patch's pixels contiguous, in (dy, dx) order
    auto patches = ops::permute(ops::reshape(images, {n, gh, patch, gw, patch}), {0, 1, 3, 2, 4});
    auto w = ops::reshape(weight(), {dim, patch * patch});
    return ops::linear(ops::reshape(patches, {n, gh * gw, patch * patch}), w, bias());
  }
};

}  // namespace mvg::nn
