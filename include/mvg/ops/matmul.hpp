// mvg/ops/matmul.hpp: (batched) matrix product with optional transposes, no copies.
//   a: [..., m, k] (or [..., k, m] with trans_a), b: [..., k, n] (or [..., n, k] with trans_b) or 2-D
//   shared by every batch; result [..., m, n].
#pragma once
#include "mvg/ops/detail.hpp"

namespace mvg::ops {

namespace detail {
// C[i] (+)= alpha · op(A[i]) op(B[i]) for i < batch, with explicit leading dimensions and strides.
template <class T, backend B>
void strided_gemm(int64_t batch, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, ptr<const T, B> a,
                  int64_t lda, int64_t sa, ptr<const T, B> b, int64_t ldb, int64_t sb, T beta, ptr<T, B> c, int64_t ldc,
                  int64_t sc) {
  const gemm_args g{.trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                    .batch = batch, .stride_a = sa, .stride_b = sb, .stride_c = sc};
  B::gemm(g, alpha, a, b, beta, c);
}
// The same over dense row-major matrices (leading dimensions follow from the shapes).
template <class T, backend B>
void dense_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, ptr<const T, B> a, ptr<const T, B> b, ptr<T, B> c,
                T beta, int64_t batch = 1, int64_t sa = 0, int64_t sb = 0, int64_t sc = 0) {
  strided_gemm<T, B>(batch, ta, tb, m, n, k, T(1), a, ta ? m : k, sa, b, tb ? k : n, sb, beta, c, n, sc);
}
}  // namespace detail

template <class T, backend B>
var<T, B> matmul(const var<T, B>& a, const var<T, B>& b, bool trans_a = false, bool trans_b = false) {
  const shape& sa = a.shape();
  const shape& sb = b.shape();
  MVG_CHECK(sa.rank() >= 2 && sb.rank() >= 2, "matmul: shapes ", sa.str(), " and ", sb.str(), " need rank >= 2");
  const int64_t m = trans_a ? sa[-1] : sa[-2], ka = trans_a ? sa[-2] : sa[-1];
  const int64_t kb = trans_b ? sb[-1] : sb[-2], n = trans_b ? sb[-2] : sb[-1];
  MVG_CHECK(ka == kb, "matmul: inner dimensions differ: shapes ", sa.str(), " and ", sb.str(),
            trans_a ? " (a transposed)" : "", trans_b ? " (b transposed)" : "");
  const bool shared_b = sb.rank() == 2;
  if (!shared_b) {
    bool ok = sa.rank() == sb.rank();
    for (int d = 0; ok && d < sa.rank() - 2; ++d) ok = sa[d] == sb[d];
    MVG_CHECK(ok, "matmul: batch dimensions differ: shapes ", sa.str(), " and ", sb.str());
  }
  const int64_t k = ka;
  const int64_t batch = sa.numel() / std::max<int64_t>(m * k, 1);
  shape out_shape;
  for (int d = 0; d < sa.rank() - 2; ++d) out_shape.push_back(sa[d]);
  out_shape.push_back(m);
  out_shape.push_back(n);

  tensor<T, B> y(out_shape);
  const bool fold = shared_b && !trans_a;  // [batch*m, k] x [k, n]: one large product
  if (fold)
    detail::dense_gemm<T, B>(false, trans_b, batch * m, n, k, a.value().data(), b.value().data(), y.data(), T(0));
  else
    detail::dense_gemm<T, B>(trans_a, trans_b, m, n, k, a.value().data(), b.value().data(), y.data(), T(0), batch,
                             m * k, shared_b ? 0 : k * n, m * n);

  const bool rec = autograd::should_record(a, b);
  auto out = autograd::result(y, rec);
  detail::record(rec, [av = a.value(), bv = b.value(), as = a.slot(), bs = b.slot(), os = out.slot(), m, n, k,
                       batch, trans_a, trans_b, shared_b, fold] {
    if (!os->has()) return;
    const ptr<const T, B> g = os->grad.data(), A = av.data(), Bm = bv.data();
    // dop(A) = dC op(B)^T, dop(B) = op(A)^T dC; a transposed operand takes the transpose of those.
    if (as) {
      const auto ga = as->get().data();
      if (fold)
        detail::dense_gemm<T, B>(false, !trans_b, batch * m, k, n, g, Bm, ga, T(1));
      else if (!trans_a)
        detail::dense_gemm<T, B>(false, !trans_b, m, k, n, g, Bm, ga, T(1), batch, m * n, shared_b ? 0 : k * n, m * k);
      else
        detail::dense_gemm<T, B>(trans_b, true, k, m, n, Bm, g, ga, T(1), batch, shared_b ? 0 : k * n, m * n, m * k);
    }
    if (bs) {
      const auto gb = bs->get().data();
      if (fold) {
        if (!trans_b)
          detail::dense_gemm<T, B>(true, false, k, n, batch * m, A, g, gb, T(1));
        else
          detail::dense_gemm<T, B>(true, false, n, k, batch * m, g, A, gb, T(1));
      } else if (shared_b) {
        // Every batch adds into the same gradient: run them one after another (no races).
        for (int64_t i = 0; i < batch; ++i) {
          if (!trans_b)
            detail::dense_gemm<T, B>(!trans_a, false, k, n, m, A + i * m * k, g + i * m * n, gb, T(1));
          else
            detail::dense_gemm<T, B>(true, trans_a, n, k, m, g + i * m * n, A + i * m * k, gb, T(1));
        }
      } else if (!trans_b) {
        detail::dense_gemm<T, B>(!trans_a, false, k, n, m, A, g, gb, T(1), batch, m * k, m * n, k * n);
      } else {
        detail::dense_gemm<T, B>(true, trans_a, n, k, m, g, A, gb, T(1), batch, m * n, m * k, k * n);
      }
    }
  });
  return out;
}

}  // namespace mvg::ops
