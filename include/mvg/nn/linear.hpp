// mvg/nn/linear.hpp: a Linear layer (weight [out, in], bias [out]), as torch.nn.Linear.
#pragma once
#include "mvg/nn/parameters.hpp"
#include "mvg/ops/linear.hpp"

namespace mvg::nn {

template <class T, backend B>
struct linear {
  param_ref<T, B> weight, bias;
  int64_t in = 0, out = 0;

  linear() = default;
  linear(param_set<T, B>& ps, const std::string& prefix, int64_t in_features, int64_t out_features)
      : weight(declare(ps, prefix + ".weight", shape{out_features, in_features}, init_kind::xavier_uniform, true)),
        bias(declare(ps, prefix + ".bias", shape{out_features}, init_kind::zeros, false)),
        in(in_features),
        out(out_features) {}

  var<T, B> operator()(const var<T, B>& x) const { return ops::linear(x, weight(), bias()); }
};

}  // namespace mvg::nn
