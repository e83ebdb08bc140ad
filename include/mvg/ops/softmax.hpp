// mvg/ops/softmax.hpp: softmax along the last axis, optionally masked.
//   additive mask: y = softmax(x + m); m's shape is a suffix of x's (e.g. [T, L] over [B, H, T, L]).
//   keep mask (values 0/1): positions with 0 get probability exactly 0; a row with no kept
//   position is all zeros (PyTorch would give NaN there; zeros keep training finite).
#pragma once
#include <cmath>
#include <limits>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

enum class mask_kind { additive, keep };

namespace detail {
// One row of a softmax: in place over y[0, len), masked by m (nullptr = none).
template <class T>
MVG_HD inline void softmax_row(const T* x, T* y, int64_t len, const T* m, mask_kind kind) {
  const T neg_inf = -std::numeric_limits<T>::infinity();
  T mx = neg_inf;
  for (int64_t j = 0; j < len; ++j) {
    T v = x[j];
    if (m) v = kind == mask_kind::additive ? v + m[j] : (m[j] != T(0) ? v : neg_inf);
    y[j] = v;
    mx = v > mx ? v : mx;
  }
  if (mx == neg_inf) {  // nothing to attend to
    for (int64_t j = 0; j < len; ++j) y[j] = T(0);
    return;
  }
  T total = 0;
  for (int64_t j = 0; j < len; ++j) {
    y[j] = std::exp(y[j] - mx);
    total += y[j];
  }
  const T inv = T(1) / total;
  for (int64_t j = 0; j < len; ++j) y[j] *= inv;
}
// dx = y ⊙ (g − Σ g·y), added into gx (masked entries have y = 0, so they get 0).
template <class T>
MVG_HD inline void softmax_row_backward(const T* y, const T* g, T* gx, int64_t len) {
  T dot = 0;
  for (int64_t j = 0; j < len; ++j) dot += g[j] * y[j];
  for (int64_t j = 0; j < len; ++j) gx[j] += y[j] * (g[j] - dot);
}
}  // namespace detail

template <class T, backend B>
var<T, B> softmax(const var<T, B>& x, const tensor<T, B>* mask = nullptr, mask_kind kind = mask_kind::additive) {
  const shape& s = x.shape();
  MVG_CHECK(s.rank() >= 1, "softmax: needs rank >= 1, got ", s.str());
  const int64_t len = s[-1], rows = x.numel() / std::max<int64_t>(len, 1);
  int64_t mask_rows = 0;
  if (mask) {
    const shape& ms = mask->shape();
    bool suffix = ms.rank() >= 1 && ms.rank() <= s.rank();
    for (int d = 0; suffix && d < ms.rank(); ++d) suffix = ms[d] == s[s.rank() - ms.rank() + d];
    MVG_CHECK(suffix, "softmax: mask ", ms.str(), " must match the trailing axes of input ", s.str());
    mask_rows = mask->numel() / std::max<int64_t>(len, 1);
  }
  tensor<T, B> y(s);
  B::parallel_for_heavy(
      rows,
      [=] MVG_HD(int64_t r, const T* xp, const T* mp, T* yp) {
        detail::softmax_row(xp + r * len, yp + r * len, len, mp ? mp + (r % mask_rows) * len : nullptr, kind);
      },
      x.value().data(), mask ? mask->data() : ptr<T, B>{}, y.data());
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [y, xs = x.slot(), os = out.slot(), rows, len] {
    if (!os->has()) return;
    B::parallel_for_heavy(
        rows,
        [=] MVG_HD(int64_t r, const T* yp, const T* g, T* gx) {
          detail::softmax_row_backward(yp + r * len, g + r * len, gx + r * len, len);
        },
        y.data(), os->grad.data(), xs->get().data());
  });
  return out;
}

}  // namespace mvg::ops
