// mvg/ops/detail.hpp: small helpers every op header uses to record its backward node.
#pragma once
#include <utility>

#include "mvg/autograd/tape.hpp"

namespace mvg::ops::detail {

template <class F>
void record(bool recorded, F&& backward_fn) {
  if (recorded) autograd::current_tape().push(std::forward<F>(backward_fn));
}

// Gradient pointer of an input, or nullptr when the input needs none.
template <class T, backend B>
T* grad_or_null(const std::shared_ptr<grad_slot<T, B>>& slot) {
  return slot ? slot->get().data() : nullptr;
}

// dst += src, element-wise over n.
template <class T, backend B>
void add_into(T* dst, const T* src, int64_t n) {
  B::parallel_for(n, [=] MVG_HD(int64_t i) { dst[i] += src[i]; });
}

}  // namespace mvg::ops::detail
