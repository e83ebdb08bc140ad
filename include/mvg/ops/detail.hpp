// mvg/ops/detail.hpp: small helpers every op header uses to record its backward node.
#pragma once
#include <utility>

#include "mvg/autograd/tape.hpp"

namespace mvg::ops::detail {

template <class F>
void record(bool recorded, F&& backward_fn) {
  if (recorded) autograd::current_tape().push(std::forward<F>(backward_fn));
}

// Gradient pointer of an input, or null when the input needs none.
template <class T, backend B>
ptr<T, B> grad_or_null(const std::shared_ptr<grad_slot<T, B>>& slot) {
  return slot ? slot->get().data() : ptr<T, B>{};
}

// dst += src, element-wise over n.
template <class T, backend B>
void add_into(ptr<T, B> dst, ptr<const T, B> src, int64_t n) {
  B::parallel_for(n, [] MVG_HD(int64_t i, T* dst, const T* src) { dst[i] += src[i]; }, dst, src);
}

}  // namespace mvg::ops::detail
