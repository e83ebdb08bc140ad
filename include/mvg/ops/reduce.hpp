// mvg/ops/reduce.hpp: sum and mean, over everything (a 0-d result) or over one axis.
#pragma once
#include "mvg/ops/detail.hpp"
#include "mvg/ops/shape_ops.hpp"

namespace mvg::ops {

namespace detail {
template <class T, backend B>
var<T, B> reduce_axis(const var<T, B>& x, int axis, bool keepdim, T factor) {
  const shape& s = x.shape();
  const int ax = s.axis(axis);
  int64_t outer, inner;
  outer_inner(s, ax, outer, inner);
  const int64_t len = s[ax];
  shape out_shape;
  for (int d = 0; d < s.rank(); ++d) {
    if (d != ax)
      out_shape.push_back(s[d]);
    else if (keepdim)
      out_shape.push_back(1);
  }
  tensor<T, B> y(out_shape);
  B::parallel_for(
      outer * inner,
      [=] MVG_HD(int64_t i, const T* xp, T* yp) {
        const int64_t o = i / inner, r = i % inner;
        T acc = 0;
        for (int64_t j = 0; j < len; ++j) acc += xp[(o * len + j) * inner + r];
        yp[i] = acc * factor;
      },
      x.value().data(), y.data());
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  record(rec, [xs = x.slot(), os = out.slot(), outer, inner, len, factor] {
    if (!os->has()) return;
    B::parallel_for(
        outer * len * inner,
        [=] MVG_HD(int64_t i, const T* g, T* gx) {
          const int64_t o = i / (len * inner), r = i % inner;
          gx[i] += factor * g[o * inner + r];
        },
        os->grad.data(), xs->get().data());
  });
  return out;
}

template <class T, backend B>
var<T, B> reduce_all(const var<T, B>& x, T factor) {
  tensor<T, B> y(shape{});
  const T total = static_cast<T>(B::sum(x.value().data(), x.numel()) * static_cast<double>(factor));
  B::fill(y.data(), 1, total);
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  record(rec, [xs = x.slot(), os = out.slot(), factor] {
    if (!os->has()) return;
    B::parallel_for(xs->shape.numel(), [=] MVG_HD(int64_t i, const T* g, T* gx) { gx[i] += factor * g[0]; },
                    os->grad.data(), xs->get().data());
  });
  return out;
}
}  // namespace detail

template <class T, backend B>
var<T, B> sum(const var<T, B>& x) {
  return detail::reduce_all(x, T(1));
}
template <class T, backend B>
var<T, B> mean(const var<T, B>& x) {
  MVG_CHECK(x.numel() > 0, "mean: empty tensor of shape ", x.shape().str());
  return detail::reduce_all(x, T(1) / static_cast<T>(x.numel()));
}
template <class T, backend B>
var<T, B> sum(const var<T, B>& x, int axis, bool keepdim = false) {
  return detail::reduce_axis(x, axis, keepdim, T(1));
}
template <class T, backend B>
var<T, B> mean(const var<T, B>& x, int axis, bool keepdim = false) {
  const int64_t n = x.shape()[axis];
  MVG_CHECK(n > 0, "mean: axis ", axis, " of shape ", x.shape().str(), " is empty");
  return detail::reduce_axis(x, axis, keepdim, T(1) / static_cast<T>(n));
}

}  // namespace mvg::ops
