// mvg/ops/gelu.hpp: exact GELU, x·Φ(x) with the erf form (torch's default, approximate='none').
#pragma once
#include <cmath>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

namespace detail {
template <class T>
MVG_HD inline T gelu_value(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
}
// d/dx [x Φ(x)] = Φ(x) + x φ(x)
template <class T>
MVG_HD inline T gelu_grad(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}
}  // namespace detail

template <class T, backend B>
var<T, B> gelu(const var<T, B>& x) {
  tensor<T, B> y(x.shape());
  const T* xp = x.value().data();
  T* yp = y.data();
  B::parallel_for(x.numel(), [=] MVG_HD(int64_t i) { yp[i] = detail::gelu_value(xp[i]); });
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), xs = x.slot(), os = out.slot()] {
    if (!os->has()) return;
    const T* xp = xv.data();
    const T* g = os->grad.data();
    T* gx = xs->get().data();
    B::parallel_for(xv.numel(), [=] MVG_HD(int64_t i) { gx[i] += g[i] * detail::gelu_grad(xp[i]); });
  });
  return out;
}

}  // namespace mvg::ops
