// mvg/ops/linear.hpp: y = x Wᵀ + b (PyTorch's F.linear) as one node.
//   x: [..., in], weight: [out, in], bias: [out] or absent → y: [..., out]
#pragma once
#include <algorithm>

#include "mvg/ops/elementwise.hpp"
#include "mvg/ops/matmul.hpp"

namespace mvg::ops {

template <class T, backend B>
var<T, B> linear(const var<T, B>& x, const var<T, B>& weight, const var<T, B>* bias = nullptr) {
  MVG_CHECK(weight.shape().rank() == 2, "linear: weight must be [out, in], got ", weight.shape().str());
  const int64_t in = weight.dim(1), out_f = weight.dim(0);
  MVG_CHECK(x.shape().rank() >= 1 && x.shape()[-1] == in, "linear: input ", x.shape().str(),
            " does not end in the weight's in-features ", in, " (weight ", weight.shape().str(), ")");
  if (bias)
    MVG_CHECK(bias->shape() == shape{out_f}, "linear: bias ", bias->shape().str(), " must be [", out_f, "]");
  const int64_t rows = x.numel() / std::max<int64_t>(in, 1);
  shape out_shape = x.shape();
  out_shape[-1] = out_f;
  tensor<T, B> y(out_shape);
  const auto yp = y.data();
  if (bias) {
    const auto bp = bias->value().data();
    // y starts as the bias in every row; the GEMM then adds x Wᵀ (beta = 1).
    if constexpr (massively_parallel<B>())
      B::parallel_for(rows * out_f, [=] MVG_HD(int64_t i, const T* bp, T* yp) { yp[i] = bp[i % out_f]; }, bp, yp);
    else
      B::parallel_for_heavy(rows, [=](int64_t r) { std::copy_n(bp, out_f, yp + r * out_f); });
  }
  detail::dense_gemm<T, B>(false, true, rows, out_f, in, x.value().data(), weight.value().data(), yp,
                           bias ? T(1) : T(0));

  const bool rec = bias ? autograd::should_record(x, weight, *bias) : autograd::should_record(x, weight);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xv = x.value(), wv = weight.value(), xs = x.slot(), ws = weight.slot(),
                       bs = bias ? bias->slot() : nullptr, os = out.slot(), rows, in, out_f] {
    if (!os->has()) return;
    const auto g = os->grad.data();
    if (xs) detail::dense_gemm<T, B>(false, false, rows, in, out_f, g, wv.data(), xs->get().data(), T(1));
    if (ws) detail::dense_gemm<T, B>(true, false, out_f, in, rows, g, xv.data(), ws->get().data(), T(1));
    if (bs) detail::reduce_broadcast_into<T, B>(bs->get().data(), bs->shape, g, shape{rows, out_f});
  });
  return out;
}

template <class T, backend B>
var<T, B> linear(const var<T, B>& x, const var<T, B>& weight, const var<T, B>& bias) {
  return linear(x, weight, &bias);
}

}  // namespace mvg::ops
