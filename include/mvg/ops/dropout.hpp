// mvg/ops/dropout.hpp: dropout and drop-path (stochastic depth), active only when training.
// Masks are drawn on the host from mvg::rng so a seed fixes them on every backend.
#pragma once
#include <vector>

#include "mvg/core/random.hpp"
#include "mvg/ops/detail.hpp"

namespace mvg::ops {

namespace detail {
// y = x ⊙ mask where mask has one entry per `group` consecutive elements.
template <class T, backend B>
var<T, B> apply_group_mask(const var<T, B>& x, const std::vector<T>& host_mask, int64_t group) {
  auto mask = tensor<T, B>::from_host(shape{static_cast<int64_t>(host_mask.size())}, host_mask);
  tensor<T, B> y(x.shape());
  B::parallel_for(
      x.numel(), [=] MVG_HD(int64_t i, const T* xp, const T* mp, T* yp) { yp[i] = xp[i] * mp[i / group]; },
      x.value().data(), mask.data(), y.data());
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  record(rec, [mask, xs = x.slot(), os = out.slot(), group] {
    if (!os->has()) return;
    B::parallel_for(
        xs->shape.numel(), [=] MVG_HD(int64_t i, const T* g, const T* mp, T* gx) { gx[i] += g[i] * mp[i / group]; },
        os->grad.data(), mask.data(), xs->get().data());
  });
  return out;
}
}  // namespace detail

// Zeroes each element with probability p and scales survivors by 1/(1−p) (inverted dropout).
template <class T, backend B>
var<T, B> dropout(const var<T, B>& x, double p, rng& gen, bool training) {
  MVG_CHECK(p >= 0 && p < 1, "dropout: probability ", p, " must be in [0, 1)");
  if (!training || p == 0) return x;
  std::vector<T> m(static_cast<size_t>(x.numel()));
  for (auto& v : m) v = gen.uniform() < p ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  return detail::apply_group_mask(x, m, 1);
}

// Drops the whole residual branch of each sample (axis 0) with probability p (timm DropPath).
template <class T, backend B>
var<T, B> drop_path(const var<T, B>& x, double p, rng& gen, bool training) {
  MVG_CHECK(p >= 0 && p < 1, "drop_path: probability ", p, " must be in [0, 1)");
  if (!training || p == 0) return x;
  MVG_CHECK(x.shape().rank() >= 1 && x.dim(0) > 0, "drop_path: needs a batch axis, got ", x.shape().str());
  std::vector<T> m(static_cast<size_t>(x.dim(0)));
  for (auto& v : m) v = gen.uniform() < p ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  return detail::apply_group_mask(x, m, x.numel() / x.dim(0));
}

}  // namespace mvg::ops
