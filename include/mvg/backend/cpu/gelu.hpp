// mvg/backend/cpu/gelu.hpp: the CPU form of GELU (mvg::cpu::gelu_forward / gelu_backward): blocks of
// 4096 values through Eigen's vectorised erf and exp (the scalar std::erf was 5% of a training step).
// Same formulas as kernels::gelu_value / gelu_grad (backend/elementwise_math.hpp); Eigen's float erf
// differs from std::erf by a few ulps.
//
// nvcc compiles the CPU policy too (the cross-backend tests), but not Eigen's SpecialFunctions: there
// the CPU form is the scalar per-element loop.
#pragma once
#include <cstdint>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/elementwise_math.hpp"

#if !defined(__CUDACC__)
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#endif

namespace mvg::detail {

inline constexpr int64_t gelu_block = 4096;

// g == nullptr: out = GELU(x) (forward); else out += g · GELU'(x) (backward). P is the CPU policy,
// whose parallel_for_heavy spreads the blocks over the cores.
template <class P, class T>
void gelu_cpu(const T* x, const T* g, T* out, int64_t n) {
#if !defined(__CUDACC__)
  using array = Eigen::Array<T, Eigen::Dynamic, 1>;
  parallel_blocks<P>(n, gelu_block, [=](int64_t, int64_t lo, int64_t len) {
    const Eigen::Map<const array> xa(x + lo, len);
    Eigen::Map<array> oa(out + lo, len);
    const auto cdf = T(0.5) * (T(1) + (xa * T(0.70710678118654752440)).erf());
    if (!g)
      oa = xa * cdf;  // forward: y = x Φ(x)
    else  // backward: gx += g · (Φ(x) + x φ(x))
      oa += Eigen::Map<const array>(g + lo, len) *
            (cdf + xa * T(0.39894228040143267794) * (T(-0.5) * xa.square()).exp());
  });
#else
  if (!g)
    P::parallel_for(n, [=](int64_t i) { out[i] = kernels::gelu_value(x[i]); });
  else
    P::parallel_for(n, [=](int64_t i) { out[i] += g[i] * kernels::gelu_grad(x[i]); });
#endif
}

}  // namespace mvg::detail
