// mvg/ops/softmax.hpp: softmax along the last axis, optionally masked.
//   additive mask: y = softmax(x + m); m's shape is a suffix of x's (e.g. [T, L] over [B, H, T, L]).
//   keep mask (values 0/1): positions with 0 get probability exactly 0; a row with no kept
//   position is all zeros (PyTorch would give NaN there; zeros keep training finite).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

enum class mask_kind { additive, keep };

namespace detail {
// e^x for x ≤ 0 (a softmax's x − max) in float without a libm call, so that a row's loop vectorises
// (std::exp was a scalar call per score: 17% of the tiny preset's inference at batch 8 on an AVX-512
// Xeon). Cody-Waite reduction x = n·ln2 + r with n rounded by the 1.5·2^23 trick (no floor call), then
// Cephes' expf polynomial: within 2 ulp of std::exp over the range (tests/ops/softmax_exp_test.cpp). Below
// −87.3 the result would be denormal: 0, as a masked −inf must give exactly; NaN stays NaN. Double
// (the gradient checks) and device code keep std::exp.
template <class T>
MVG_HD inline T exp_nonpositive(T x) {
#if defined(__CUDA_ARCH__)
  return std::exp(x);
#else
  if constexpr (!std::is_same_v<T, float>) {
    return std::exp(x);
  } else {
    const float round = 12582912.f;  // 1.5·2^23: adding and subtracting it rounds to an integer
    const float n = (x * 1.44269504088896341f + round) - round;
    const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float e = p * r * r + r + 1.f;
    // 2^n; n lies in [−126, 0] for x in range, and the clamp keeps NaN and −inf from an undefined cast.
    const float nc = n > -126.f ? (n < 0.f ? n : 0.f) : -126.f;
    const int32_t bits = (static_cast<int32_t>(nc) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return x < -87.33654f ? 0.f : e * scale;
  }
#endif
}

// One row of a softmax: in place over y[0, len), masked by m (nullptr = none). Each pass is a loop of
// its own, and the sums are SIMD reductions, so that a float row runs in vector registers.
template <class T>
MVG_HD inline void softmax_row(const T* x, T* y, int64_t len, const T* m, mask_kind kind) {
  const T neg_inf = -std::numeric_limits<T>::infinity();
  if (!m) {
    for (int64_t j = 0; j < len; ++j) y[j] = x[j];
  } else if (kind == mask_kind::additive) {
    for (int64_t j = 0; j < len; ++j) y[j] = x[j] + m[j];
  } else {
    for (int64_t j = 0; j < len; ++j) y[j] = m[j] != T(0) ? x[j] : neg_inf;
  }
  T mx = neg_inf;
  for (int64_t j = 0; j < len; ++j) mx = y[j] > mx ? y[j] : mx;
  if (mx == neg_inf) {  // nothing to attend to
    for (int64_t j = 0; j < len; ++j) y[j] = T(0);
    return;
  }
  for (int64_t j = 0; j < len; ++j) y[j] = exp_nonpositive(y[j] - mx);
  T total = 0;
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#pragma omp simd reduction(+ : total)
#endif
  for (int64_t j = 0; j < len; ++j) total += y[j];
  const T inv = T(1) / total;
  for (int64_t j = 0; j < len; ++j) y[j] *= inv;
}
// dx = y ⊙ (g − Σ g·y), added into gx (masked entries have y = 0, so they get 0).
template <class T>
MVG_HD inline void softmax_row_backward(const T* y, const T* g, T* gx, int64_t len) {
  T dot = 0;
#if defined(_OPENMP) && !defined(__CUDA_ARCH__)
#pragma omp simd reduction(+ : dot)
#endif
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
