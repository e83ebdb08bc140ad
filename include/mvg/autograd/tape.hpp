// mvg/autograd/tape.hpp: reverse-mode autodiff as a tape of closures.
//
// Gradient contract (the rules every op's backward follows):
// 1. backward ADDS into gradients (g += ...); it never overwrites. Zeroing is explicit:
//    zero_grad() on a parameter set, or a fresh var whose gradient starts absent (= zero).
// 2. A gradient buffer is allocated (zero-filled) the first time something flows into it;
//    parameters instead point their gradient at a view of the one gradient buffer.
// 3. Ops record a node only in grad mode and only when an input requires grad; a node captures
//    just what its backward needs (saved tensors and the gradient slots of inputs/outputs),
//    so activations nobody needs are freed as soon as the forward drops them.
// 4. backward(loss) runs the tape once in reverse, releasing each node after it runs.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "mvg/tensor/tensor.hpp"

namespace mvg {
namespace autograd {

// Grad mode is per thread, like torch.is_grad_enabled().
inline bool& grad_mode_flag() {
  thread_local bool enabled = true;
  return enabled;
}
inline bool grad_enabled() { return grad_mode_flag(); }

// RAII guard: inside its scope nothing is recorded (inference, optimizer updates, finite differences).
class no_grad {
public:
  no_grad() : previous_(grad_mode_flag()) { grad_mode_flag() = false; }
  ~no_grad() { grad_mode_flag() = previous_; }
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;

private:
  bool previous_;
};

class tape {
public:
  void push(std::function<void()> node) { nodes_.push_back(std::move(node)); }
  std::size_t size() const { return nodes_.size(); }
  void clear() { nodes_.clear(); }
  // Runs the nodes newest-first, dropping each (and what it saved) after it has run.
  void run_backward() {
    while (!nodes_.empty()) {
      auto node = std::move(nodes_.back());
      nodes_.pop_back();
      node();
    }
  }

private:
  std::vector<std::function<void()>> nodes_;
};

inline tape& current_tape() {
  thread_local tape t;
  return t;
}

}  // namespace autograd

// Where a var's gradient lives. Shared between the var and every node that must add into it.
template <class T, backend B>
struct grad_slot {
  mvg::shape shape;
  tensor<T, B> grad;  // absent until something flows in (absent == zero)

  bool has() const { return grad.defined(); }
  tensor<T, B>& get() {
    if (!grad.defined()) grad = tensor<T, B>::zeros(shape);
    return grad;
  }
};

// A value that can carry a gradient: a tensor plus, when it requires grad, its gradient slot.
template <class T, backend B>
class var {
public:
  using tensor_type = tensor<T, B>;
  using slot_ptr = std::shared_ptr<grad_slot<T, B>>;

  var() = default;
  explicit var(tensor_type value, bool requires_grad = false) : value_(std::move(value)) {
    if (requires_grad) slot_ = std::make_shared<grad_slot<T, B>>(grad_slot<T, B>{value_.shape(), {}});
  }
  // A var whose gradient is a fixed view (a parameter inside the one gradient buffer).
  var(tensor_type value, tensor_type grad_view) : value_(std::move(value)) {
    check_same_shape("var(value, grad)", value_.shape(), grad_view.shape());
    slot_ = std::make_shared<grad_slot<T, B>>(grad_slot<T, B>{value_.shape(), grad_view});
  }

  const tensor_type& value() const { return value_; }
  tensor_type& value() { return value_; }
  const mvg::shape& shape() const { return value_.shape(); }
  int64_t dim(int a) const { return value_.dim(a); }
  int64_t numel() const { return value_.numel(); }
  bool requires_grad() const { return slot_ != nullptr; }
  const slot_ptr& slot() const { return slot_; }
  // The accumulated gradient; an undefined tensor when nothing has flowed in yet.
  tensor_type grad() const { return slot_ ? slot_->grad : tensor_type{}; }

private:
  tensor_type value_;
  slot_ptr slot_;
};

namespace autograd {

template <class... V>
bool should_record(const V&... inputs) {
  return grad_enabled() && (inputs.requires_grad() || ...);
}

// The result var of an op: it requires grad exactly when the op recorded a node.
template <class T, backend B>
var<T, B> result(tensor<T, B> value, bool recorded) {
  return var<T, B>(std::move(value), recorded);
}

// Seeds d(loss)/d(loss) = 1 (or the given seed for a non-scalar output) and runs the tape.
template <class T, backend B>
void backward(const var<T, B>& out, const tensor<T, B>* seed = nullptr) {
  MVG_CHECK(out.requires_grad(), "backward: the output does not require grad (was it computed under no_grad?)");
  auto& g = out.slot()->get();
  if (seed) {
    check_same_shape("backward seed", seed->shape(), out.shape());
    B::parallel_for(g.numel(), [] MVG_HD(int64_t i, T* gp, const T* sp) { gp[i] += sp[i]; }, g.data(), seed->data());
  } else {
    MVG_CHECK(out.numel() == 1, "backward: output of shape ", out.shape().str(),
              " is not a scalar; pass a seed gradient");
    B::parallel_for(1, [] MVG_HD(int64_t i, T* gp) { gp[i] += T(1); }, g.data());
  }
  current_tape().run_backward();
}

}  // namespace autograd
}  // namespace mvg
