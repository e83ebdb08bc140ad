// mvg/nn/attention.hpp: multi-head self-attention, qkv projection (with bias) → fused attention → proj.
#pragma once
#include "mvg/nn/linear.hpp"
#include "mvg/ops/attention.hpp"

namespace mvg::nn {

template <class T, backend B>
struct attention {
  linear<T, B> qkv, proj;
  int64_t heads = 1;

  attention() = default;
  attention(param_set<T, B>& ps, const std::string& prefix, int64_t dim, int64_t num_heads)
      : qkv(ps, prefix + ".qkv", dim, 3 * dim), proj(ps, prefix + ".proj", dim, dim), heads(num_heads) {}

  // x: [B, T, D]
  var<T, B> operator()(const var<T, B>& x, const ops::attention_mask<T, B>& mask) const {
    return proj(ops::attention(qkv(x), heads, mask));
  }
};

}  // namespace mvg::nn
