// mvg/ops/shape_ops.hpp: reshape (a view), permute/transpose, concat and slice (copies).
#pragma once
#include <numeric>
#include <vector>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

// Same data, new shape. The gradient is the output gradient read with the input's shape.
template <class T, backend B>
var<T, B> reshape(const var<T, B>& x, const shape& s) {
  auto v = x.value().reshape(s);
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(v, rec);
  detail::record(rec, [xs = x.slot(), os = out.slot()] {
    if (os->has()) detail::add_into<T, B>(xs->get().data(), os->grad.data(), xs->shape.numel());
  });
  return out;
}

namespace detail {
// Offsets into the input for each output element of a permutation.
struct permute_map {
  int rank = 0;
  int64_t out_dims[shape::max_rank] = {};
  int64_t in_strides[shape::max_rank] = {};  // input stride of each output axis
  MVG_HD int64_t offset(int64_t i) const {
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; --d) {
      off += (i % out_dims[d]) * in_strides[d];
      i /= out_dims[d];
    }
    return off;
  }
};

// Validates `perm` for shape s and builds its index map; fills the permuted shape.
inline permute_map make_permute_map(const shape& s, const std::vector<int>& perm, shape& out_shape) {
  MVG_CHECK(static_cast<int>(perm.size()) == s.rank(), "permute: ", perm.size(), " axes given for shape ", s.str());
  std::vector<bool> seen(perm.size(), false);
  permute_map m;
  m.rank = s.rank();
  out_shape = shape{};
  const auto st = s.strides();
  for (int d = 0; d < s.rank(); ++d) {
    const int p = s.axis(perm[d]);
    MVG_CHECK(!seen[p], "permute: axis ", perm[d], " repeated for shape ", s.str());
    seen[p] = true;
    out_shape.push_back(s[p]);
    m.out_dims[d] = s[p];
    m.in_strides[d] = st[p];
  }
  return m;
}
// dst = permute(src); with Add, src_grad_in += inverse-permute(dst-shaped gradient) instead.
// On a CPU backend one output row (the last axis) per iteration: the index arithmetic runs once per
// row, and the row reads the input at one fixed stride (1 for attention's head split and merge).
template <class T, backend B>
void permute_copy(const permute_map& m, ptr<const T, B> src, ptr<T, B> dst, int64_t n) {
  if (n == 0) return;
  if constexpr (massively_parallel<B>()) {
    B::parallel_for(n, [=] MVG_HD(int64_t i, const T* src, T* dst) { dst[i] = src[m.offset(i)]; }, src, dst);
  } else {
    const int64_t len = m.out_dims[m.rank - 1], step = m.in_strides[m.rank - 1];
    B::parallel_for_heavy(n / len, [=](int64_t r) {
      const T* in = src + m.offset(r * len);
      T* out = dst + r * len;
      for (int64_t j = 0; j < len; ++j) out[j] = in[j * step];
    });
  }
}
template <class T, backend B>
void permute_add_back(const permute_map& m, ptr<const T, B> grad_out, ptr<T, B> grad_in, int64_t n) {
  // A permutation is a bijection: every input element receives exactly one term, no races.
  if (n == 0) return;
  if constexpr (massively_parallel<B>()) {
    B::parallel_for(
        n, [=] MVG_HD(int64_t i, const T* grad_out, T* grad_in) { grad_in[m.offset(i)] += grad_out[i]; }, grad_out,
        grad_in);
  } else {
    const int64_t len = m.out_dims[m.rank - 1], step = m.in_strides[m.rank - 1];
    B::parallel_for_heavy(n / len, [=](int64_t r) {
      T* in = grad_in + m.offset(r * len);
      const T* out = grad_out + r * len;
      for (int64_t j = 0; j < len; ++j) in[j * step] += out[j];
    });
  }
}
}  // namespace detail

// out.shape[d] = x.shape[perm[d]], like torch.permute; the result is a dense copy.
template <class T, backend B>
var<T, B> permute(const var<T, B>& x, const std::vector<int>& perm) {
  shape out_shape;
  const detail::permute_map m = detail::make_permute_map(x.shape(), perm, out_shape);
  tensor<T, B> y(out_shape);
  detail::permute_copy<T, B>(m, x.value().data(), y.data(), y.numel());
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xs = x.slot(), os = out.slot(), m] {
    if (os->has()) detail::permute_add_back<T, B>(m, os->grad.data(), xs->get().data(), xs->shape.numel());
  });
  return out;
}

template <class T, backend B>
var<T, B> transpose(const var<T, B>& x, int a0, int a1) {
  std::vector<int> perm(x.shape().rank());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[x.shape().axis(a0)], perm[x.shape().axis(a1)]);
  return permute(x, perm);
}

namespace detail {
// Copies a [outer, len*inner] block between a part and the whole along one axis.
template <class T, backend B, bool Add>
void copy_block(ptr<const T, B> src, int64_t src_row, ptr<T, B> dst, int64_t dst_row, int64_t outer, int64_t row_len,
                int64_t src_off, int64_t dst_off) {
  B::parallel_for(
      outer * row_len,
      [=] MVG_HD(int64_t i, const T* src, T* dst) {
        const int64_t o = i / row_len, r = i % row_len;
        // Captures are used before the `if constexpr`: nvcc's extended lambdas may not capture inside one.
        const T v = src[o * src_row + src_off + r];
        T& out = dst[o * dst_row + dst_off + r];
        if constexpr (Add)
          out += v;
        else
          out = v;
      },
      src, dst);
}
inline void outer_inner(const shape& s, int axis, int64_t& outer, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s[d];
}
}  // namespace detail

template <class T, backend B>
var<T, B> concat(const std::vector<var<T, B>>& xs, int axis) {
  MVG_CHECK(!xs.empty(), "concat: no inputs");
  const shape& s0 = xs[0].shape();
  const int ax = s0.axis(axis);
  shape out_shape = s0;
  int64_t total = 0;
  for (const auto& x : xs) {
    bool ok = x.shape().rank() == s0.rank();
    for (int d = 0; ok && d < s0.rank(); ++d) ok = d == ax || x.shape()[d] == s0[d];
    MVG_CHECK(ok, "concat: shape ", x.shape().str(), " does not match ", s0.str(), " outside axis ", axis);
    total += x.shape()[ax];
  }
  out_shape[ax] = total;
  int64_t outer, inner;
  detail::outer_inner(out_shape, ax, outer, inner);
  tensor<T, B> y(out_shape);
  bool rec = false;
  std::vector<std::shared_ptr<grad_slot<T, B>>> slots;
  std::vector<int64_t> starts;
  int64_t start = 0;
  for (const auto& x : xs) {
    const int64_t len = x.shape()[ax] * inner;
    detail::copy_block<T, B, false>(x.value().data(), len, y.data(), total * inner, outer, len, 0, start * inner);
    rec = rec || autograd::should_record(x);
    slots.push_back(x.slot());
    starts.push_back(start);
    start += x.shape()[ax];
  }
  auto out = autograd::result(y, rec);
  detail::record(rec, [slots, starts, os = out.slot(), outer, inner, total, ax] {
    if (!os->has()) return;
    for (std::size_t j = 0; j < slots.size(); ++j) {
      if (!slots[j]) continue;
      const int64_t len = slots[j]->shape[ax] * inner;
      detail::copy_block<T, B, true>(os->grad.data(), total * inner, slots[j]->get().data(), len, outer, len,
                                     starts[j] * inner, 0);
    }
  });
  return out;
}

// Elements [start, stop) along `axis`, as x[..., start:stop, ...].
template <class T, backend B>
var<T, B> slice(const var<T, B>& x, int axis, int64_t start, int64_t stop) {
  const shape& s = x.shape();
  const int ax = s.axis(axis);
  MVG_CHECK(0 <= start && start <= stop && stop <= s[ax], "slice: [", start, ", ", stop, ") outside axis ", axis,
            " of shape ", s.str());
  shape out_shape = s;
  out_shape[ax] = stop - start;
  int64_t outer, inner;
  detail::outer_inner(s, ax, outer, inner);
  const int64_t len = (stop - start) * inner, row = s[ax] * inner;
  tensor<T, B> y(out_shape);
  detail::copy_block<T, B, false>(x.value().data(), row, y.data(), len, outer, len, start * inner, 0);
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xs = x.slot(), os = out.slot(), outer, len, row, off = start * inner] {
    if (!os->has()) return;
    detail::copy_block<T, B, true>(os->grad.data(), len, xs->get().data(), row, outer, len, 0, off);
  });
  return out;
}

}  // namespace mvg::ops
