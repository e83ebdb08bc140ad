// mvg/ops/gelu.hpp: exact GELU, x·Φ(x) with the erf form (torch's default, approximate='none').
// The kernels are the backend's (B::gelu_forward / gelu_backward); the formulas are in
// backend/elementwise_math.hpp.
#pragma once
#include "mvg/ops/detail.hpp"

namespace mvg::ops {

template <class T, backend B>
var<T, B> gelu(const var<T, B>& x) {
  tensor<T, B> y(x.shape());
  B::gelu_forward(x.value().data(), y.data(), x.numel());  // y = x Φ(x)
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), xs = x.slot(), os = out.slot()] {
    if (!os->has()) return;
    B::gelu_backward(xv.data(), os->grad.data(), xs->get().data(), xv.numel());  // gx += g · (Φ(x) + x φ(x))
  });
  return out;
}

}  // namespace mvg::ops
