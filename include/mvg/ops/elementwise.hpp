// mvg/ops/elementwise.hpp: add, sub, mul with NumPy/PyTorch broadcasting, and scale.
// Backward of a broadcast input sums the output gradient over the broadcast axes.
#pragma once
#include "mvg/ops/detail.hpp"

namespace mvg::ops {

namespace detail {

// Index maps of a broadcast binary op: each input's strides aligned to the output rank (0 = broadcast).
struct broadcast_map {
  int rank = 0;
  int64_t out_dims[shape::max_rank] = {};
  int64_t stride_a[shape::max_rank] = {};
  int64_t stride_b[shape::max_rank] = {};

  MVG_HD int64_t offset(int64_t i, const int64_t* strides) const {
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; --d) {
      off += (i % out_dims[d]) * strides[d];
      i /= out_dims[d];
    }
    return off;
  }
};

inline shape broadcast_shape(const char* op, const shape& a, const shape& b, broadcast_map* map = nullptr) {
  const int r = std::max(a.rank(), b.rank());
  shape out;
  broadcast_map m;
  m.rank = r;
  const auto sa = a.strides(), sb = b.strides();
  for (int d = 0; d < r; ++d) {
    const int da = d - (r - a.rank()), db = d - (r - b.rank());
    const int64_t na = da >= 0 ? a[da] : 1, nb = db >= 0 ? b[db] : 1;
    MVG_CHECK(na == nb || na == 1 || nb == 1, op, ": shapes ", a.str(), " and ", b.str(),
              " do not broadcast (axis ", d, ": ", na, " vs ", nb, ")");
    const int64_t n = std::max(na, nb);
    out.push_back(n);
    m.out_dims[d] = n;
    m.stride_a[d] = (da >= 0 && na == n && n != 1) ? sa[da] : 0;
    m.stride_b[d] = (db >= 0 && nb == n && n != 1) ? sb[db] : 0;
  }
  if (map) *map = m;
  return out;
}

// dst (shape `to`) += src (shape `from`, a broadcast of `to`) summed over the broadcast axes.
template <class T, backend B>
void reduce_broadcast_into(ptr<T, B> dst, const shape& to, ptr<const T, B> src, const shape& from) {
  if (to == from) {
    add_into<T, B>(dst, src, from.numel());
    return;
  }
  MVG_CHECK(to.rank() <= from.rank(), "reduce_broadcast: ", to.str(), " is not a broadcast of ", from.str());
  const int64_t n_to = to.numel();
  // Align `to` with `from` (leading 1s). Axes where `to` is 1 and `from` is not are summed over.
  const int lead = from.rank() - to.rank();
  broadcast_map kept, summed;  // strides into `from` of the kept axes (indexed by dst) and summed axes
  kept.rank = from.rank();
  summed.rank = from.rank();
  const auto fs = from.strides();
  int64_t n_summed = 1;
  bool suffix = true, seen_kept = false;
  for (int d = 0; d < from.rank(); ++d) {
    const int64_t t = d >= lead ? to[d - lead] : 1;
    MVG_CHECK(t == from[d] || t == 1, "reduce_broadcast: ", to.str(), " is not a broadcast of ", from.str());
    const bool sum_axis = t == 1 && from[d] != 1;
    kept.out_dims[d] = t;
    kept.stride_a[d] = sum_axis ? 0 : fs[d];
    summed.out_dims[d] = sum_axis ? from[d] : 1;
    summed.stride_a[d] = sum_axis ? fs[d] : 0;
    if (sum_axis) {
      n_summed *= from[d];
      if (seen_kept) suffix = false;
    } else if (from[d] != 1) {
      seen_kept = true;
    }
  }
  if (suffix) {
    // A bias [D] over [N, D]: rows are contiguous blocks.
    if constexpr (!massively_parallel<B>()) {
      // On the CPU, blocks of columns walk the rows in order (contiguous, vectorised): each element
      // sums the same values in the same order as the per-element form below.
      constexpr int64_t cols = 256;
      const T* srcp = src;  // host memory here
      T* dstp = dst;
      parallel_blocks<B>(n_to, cols, [=](int64_t, int64_t j0, int64_t nj) {
        T acc[cols] = {};
        for (int64_t r = 0; r < n_summed; ++r) {
          const T* row = srcp + r * n_to + j0;
          for (int64_t j = 0; j < nj; ++j) acc[j] += row[j];
        }
        for (int64_t j = 0; j < nj; ++j) dstp[j0 + j] += acc[j];
      });
      return;
    }
    // One destination element per index (the GPU form).
    B::parallel_for(
        n_to,
        [=] MVG_HD(int64_t j, const T* src, T* dst) {
          T acc = 0;
          for (int64_t r = 0; r < n_summed; ++r) acc += src[r * n_to + j];
          dst[j] += acc;
        },
        src, dst);
    return;
  }
  // General case: each destination element sums its own pre-image (no two threads share a target).
  B::parallel_for(
      n_to,
      [=] MVG_HD(int64_t j, const T* src, T* dst) {
        const int64_t base = kept.offset(j, kept.stride_a);
        T acc = 0;
        for (int64_t r = 0; r < n_summed; ++r) acc += src[base + summed.offset(r, summed.stride_a)];
        dst[j] += acc;
      },
      src, dst);
}

enum class binary { add, sub, mul };

template <binary K, class T, backend B>
var<T, B> binary_op(const char* name, const var<T, B>& a, const var<T, B>& b) {
  broadcast_map m;
  const shape out_shape = broadcast_shape(name, a.shape(), b.shape(), &m);
  tensor<T, B> y(out_shape);
  const auto ap = a.value().data(), bp = b.value().data();
  const auto yp = y.data();
  const int64_t n = out_shape.numel();
  const bool same = a.shape() == out_shape && b.shape() == out_shape;
  auto f = [] MVG_HD(T x, T z) -> T {
    if constexpr (K == binary::add) return x + z;
    else if constexpr (K == binary::sub) return x - z;
    else return x * z;
  };
  if (same)
    B::parallel_for(n, [=] MVG_HD(int64_t i, const T* a, const T* b, T* y) { y[i] = f(a[i], b[i]); }, ap, bp, yp);
  else
    B::parallel_for(
        n,
        [=] MVG_HD(int64_t i, const T* a, const T* b, T* y) {
          y[i] = f(a[m.offset(i, m.stride_a)], b[m.offset(i, m.stride_b)]);
        },
        ap, bp, yp);

  const bool rec = autograd::should_record(a, b);
  auto out = autograd::result(y, rec);
  if constexpr (K == binary::mul) {
    record(rec, [av = a.value(), bv = b.value(), as = a.slot(), bs = b.slot(), os = out.slot(), m, out_shape] {
      if (!os->has()) return;
      const auto g = os->grad.data();
      const int64_t n = out_shape.numel();
      tensor<T, B> tmp(out_shape);
      auto one_side = [&](const std::shared_ptr<grad_slot<T, B>>& dst, const tensor<T, B>& other, bool other_is_a) {
        const broadcast_map mm = m;
        B::parallel_for(
            n,
            [=] MVG_HD(int64_t i, const T* g, const T* op, T* tp) {
              tp[i] = g[i] * op[mm.offset(i, other_is_a ? mm.stride_a : mm.stride_b)];
            },
            g, other.data(), tmp.data());
        reduce_broadcast_into<T, B>(dst->get().data(), dst->shape, tmp.data(), out_shape);
      };
      if (as) one_side(as, bv, false);
      if (bs) one_side(bs, av, true);
    });
  } else {
    record(rec, [as = a.slot(), bs = b.slot(), os = out.slot(), out_shape] {
      if (!os->has()) return;
      const auto g = os->grad.data();
      if (as) reduce_broadcast_into<T, B>(as->get().data(), as->shape, g, out_shape);
      if (bs) {
        if constexpr (K == binary::sub) {
          tensor<T, B> neg(out_shape);
          B::parallel_for(out_shape.numel(), [] MVG_HD(int64_t i, const T* g, T* np) { np[i] = -g[i]; }, g, neg.data());
          reduce_broadcast_into<T, B>(bs->get().data(), bs->shape, neg.data(), out_shape);
        } else {
          reduce_broadcast_into<T, B>(bs->get().data(), bs->shape, g, out_shape);
        }
      }
    });
  }
  return out;
}

}  // namespace detail

template <class T, backend B>
var<T, B> add(const var<T, B>& a, const var<T, B>& b) {
  return detail::binary_op<detail::binary::add>("add", a, b);
}
template <class T, backend B>
var<T, B> sub(const var<T, B>& a, const var<T, B>& b) {
  return detail::binary_op<detail::binary::sub>("sub", a, b);
}
template <class T, backend B>
var<T, B> mul(const var<T, B>& a, const var<T, B>& b) {
  return detail::binary_op<detail::binary::mul>("mul", a, b);
}

// y = s * x for a scalar s.
template <class T, backend B>
var<T, B> scale(const var<T, B>& x, T s) {
  tensor<T, B> y(x.shape());
  B::parallel_for(x.numel(), [=] MVG_HD(int64_t i, const T* xp, T* yp) { yp[i] = s * xp[i]; }, x.value().data(),
                  y.data());
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xs = x.slot(), os = out.slot(), s] {
    if (!os->has()) return;
    B::parallel_for(xs->shape.numel(), [=] MVG_HD(int64_t i, const T* g, T* gx) { gx[i] += s * g[i]; },
                    os->grad.data(), xs->get().data());
  });
  return out;
}

}  // namespace mvg::ops
