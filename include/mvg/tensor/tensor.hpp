// mvg/tensor/tensor.hpp: an n-d array of T whose memory the backend policy owns.
// Contract: a tensor is always dense row-major (strides follow from the shape); several tensors may
// share one allocation at different offsets (views: reshape, narrow along axis 0, the named
// parameter views into one buffer). Copying a tensor copies the handle, not the data (like
// torch.Tensor); clone() copies the data.
#pragma once
#include <algorithm>
#include <memory>
#include <vector>

#include "mvg/backend/backend.hpp"
#include "mvg/core/error.hpp"
#include "mvg/core/shape.hpp"

namespace mvg {

template <class T, backend B>
class tensor {
public:
  using value_type = T;
  using backend_type = B;

  tensor() = default;
  explicit tensor(const mvg::shape& s) : shape_(s), storage_(B::template allocate<T>(s.numel())) {}

  static tensor empty(const mvg::shape& s) { return tensor(s); }
  static tensor zeros(const mvg::shape& s) { return full(s, T(0)); }
  static tensor full(const mvg::shape& s, T v) {
    tensor t(s);
    B::fill(t.data(), t.numel(), v);
    return t;
  }
  static tensor from_host(const mvg::shape& s, const std::vector<T>& v) {
    MVG_CHECK(static_cast<int64_t>(v.size()) == s.numel(), "tensor::from_host: ", v.size(),
              " values do not fill shape ", s.str(), " (", s.numel(), " elements)");
    tensor t(s);
    B::upload(v.data(), t.data(), t.numel());
    return t;
  }

  bool defined() const { return storage_ != nullptr; }
  const mvg::shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int axis) const { return shape_[axis]; }
  int64_t numel() const { return shape_.numel(); }
  auto strides() const { return shape_.strides(); }
  // Where the elements are, as the backend addresses them: T* on the CPU, device_ptr<T> on a GPU,
  // which host code cannot dereference (to_host / from_host move values; kernels get raw pointers
  // from B::parallel_for).
  ptr<T, B> data() const { return B::address(storage_) + offset_; }
  // Storage identity: two tensors alias when they share it (tests of views rely on this).
  const std::shared_ptr<T>& storage() const { return storage_; }
  int64_t offset() const { return offset_; }

  std::vector<T> to_host() const {
    std::vector<T> v(static_cast<size_t>(numel()));
    B::download(data(), v.data(), numel());
    return v;
  }
  T item() const {
    MVG_CHECK(numel() == 1, "tensor::item: needs one element, shape is ", shape_.str());
    return to_host()[0];
  }
  tensor clone() const {
    tensor t(shape_);
    B::copy(data(), t.data(), numel());
    return t;
  }
  void copy_from(const tensor& src) {
    MVG_CHECK(src.shape() == shape_, "tensor::copy_from: shape ", src.shape().str(), " into ", shape_.str());
    B::copy(src.data(), data(), numel());
  }
  void fill(T v) { B::fill(data(), numel(), v); }

  // View with another shape of the same element count (shares memory).
  tensor reshape(const mvg::shape& s) const {
    MVG_CHECK(s.numel() == numel(), "reshape: cannot view shape ", shape_.str(), " as ", s.str(),
              " (", numel(), " vs ", s.numel(), " elements)");
    tensor t = *this;
    t.shape_ = s;
    return t;
  }
  // View of rows [start, start+length) along axis 0 (shares memory).
  tensor narrow(int64_t start, int64_t length) const {
    MVG_CHECK(rank() >= 1 && start >= 0 && length >= 0 && start + length <= dim(0), "narrow: rows [", start,
              ", ", start + length, ") outside axis 0 of shape ", shape_.str());
    tensor t = *this;
    t.shape_[0] = length;
    t.offset_ += start * (numel() / std::max<int64_t>(dim(0), 1));
    return t;
  }
  // View of a flat range of a buffer as the given shape (how named parameter views are made).
  tensor view(int64_t flat_offset, const mvg::shape& s) const {
    MVG_CHECK(flat_offset >= 0 && flat_offset + s.numel() <= numel(), "view: elements [", flat_offset, ", ",
              flat_offset + s.numel(), ") outside a tensor of ", numel());
    tensor t = *this;
    t.shape_ = s;
    t.offset_ += flat_offset;
    return t;
  }

private:
  mvg::shape shape_;
  std::shared_ptr<T> storage_;
  int64_t offset_ = 0;
};

// Shape checks shared by every op: the message names the op and both shapes.
inline void check_same_shape(const char* op, const shape& a, const shape& b) {
  MVG_CHECK(a == b, op, ": shapes ", a.str(), " and ", b.str(), " must be equal");
}

}  // namespace mvg
