// mvg/backend/elementwise_math.hpp: the per-element formulas behind the policies' element-wise members
// (backend.hpp). A GPU policy calls them once per element; a CPU policy computes the same formulas
// over blocks of values (backend/cpu/gelu.hpp, backend/cpu/adamw.hpp). MVG_HD, so both can use them.
#pragma once
#include <cmath>
#include <cstdint>

#include "mvg/backend/backend.hpp"

namespace mvg::kernels {

// Exact GELU, x·Φ(x) with the erf form (torch's default, approximate='none').
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

// AdamW at element i (torch.optim.AdamW's arithmetic): the moments, then decoupled decay where
// `decay`, then p ← p − step_size · m / (√v / √(1−β2ᵗ) + eps).
template <class T>
MVG_HD inline void adamw_update(const adamw_args<T>& a, int64_t i, bool decay) {
  // Everything read from `a` first: a store through p, m or v may alias its scalars for the compiler.
  T *p = a.p, *m = a.m, *v = a.v;
  const T b1 = a.b1, b2 = a.b2, eps = a.eps, decay_factor = a.decay_factor, step_size = a.step_size,
          bc2_sqrt = a.bc2_sqrt, gi = a.g[i];
  m[i] = b1 * m[i] + (T(1) - b1) * gi;
  v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
  const T pi = decay ? p[i] * decay_factor : p[i];
  p[i] = pi - step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
}

}  // namespace mvg::kernels
