// mvg/nn/layer_norm.hpp: LayerNorm over the last axis (eps 1e-6, as timm's ViT).
#pragma once
#include "mvg/nn/parameters.hpp"
#include "mvg/ops/layer_norm.hpp"

namespace mvg::nn {

template <class T, backend B>
struct layer_norm {
  param_ref<T, B> weight, bias;
  T eps = T(1e-6);

  layer_norm() = default;
  layer_norm(param_set<T, B>& ps, const std::string& prefix, int64_t dim)
      : weight(declare(ps, prefix + ".weight", shape{dim}, init_kind::ones, false)),
        bias(declare(ps, prefix + ".bias", shape{dim}, init_kind::zeros, false)) {}

  var<T, B> operator()(const var<T, B>& x) const { return ops::layer_norm(x, weight(), bias(), eps); }
};

}  // namespace mvg::nn
