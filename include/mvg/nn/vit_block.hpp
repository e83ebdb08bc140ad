// mvg/nn/vit_block.hpp: the pre-norm transformer block, x += Attn(LN(x)); x += MLP(LN(x)),
// with optional drop-path on each residual branch (training only).
#pragma once
#include "mvg/nn/attention.hpp"
#include "mvg/nn/layer_norm.hpp"
#include "mvg/nn/mlp.hpp"
#include "mvg/ops/dropout.hpp"
#include "mvg/ops/elementwise.hpp"

namespace mvg::nn {

template <class T, backend B>
struct vit_block {
  layer_norm<T, B> norm1, norm2;
  attention<T, B> attn;
  mlp<T, B> ffn;
  double drop_path = 0.0;

  vit_block() = default;
  vit_block(param_set<T, B>& ps, const std::string& prefix, int64_t dim, int64_t heads, int64_t hidden,
            double drop_path_rate = 0.0)
      : norm1(ps, prefix + ".norm1", dim),
        norm2(ps, prefix + ".norm2", dim),
        attn(ps, prefix + ".attn", dim, heads),
        ffn(ps, prefix + ".mlp", dim, hidden),
        drop_path(drop_path_rate) {}

  var<T, B> operator()(const var<T, B>& x, const ops::attention_mask<T, B>& mask, rng* gen = nullptr) const {
    const bool train = gen != nullptr && drop_path > 0;
    auto branch = [&](var<T, B> b) { return train ? ops::drop_path(b, drop_path, *gen, true) : b; };
    auto h = ops::add(x, branch(attn(norm1(x), mask)));
    return ops::add(h, branch(ffn(norm2(h))));
  }
};

}  // namespace mvg::nn
