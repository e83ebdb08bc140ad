// mvg/nn/mlp.hpp: the transformer MLP, fc1 → GELU (erf) → fc2.
#pragma once
#include "mvg/nn/linear.hpp"
#include "mvg/ops/gelu.hpp"

namespace mvg::nn {

template <class T, backend B>
struct mlp {
  linear<T, B> fc1, fc2;

  mlp() = default;
  mlp(param_set<T, B>& ps, const std::string& prefix, int64_t dim, int64_t hidden)
      : fc1(ps, prefix + ".fc1", dim, hidden), fc2(ps, prefix + ".fc2", hidden, dim) {}

  var<T, B> operator()(const var<T, B>& x) const { return fc2(ops::gelu(fc1(x))); }
};

}  // namespace mvg::nn
