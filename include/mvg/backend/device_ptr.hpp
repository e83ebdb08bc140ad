// mvg/backend/device_ptr.hpp: where a GPU backend's tensor memory lives, as a type host code cannot
// dereference. mvg::cuda's tensor::data() is a device_ptr: it offsets, compares and converts to a
// pointer-to-const, and it has no *, [] or -> and no conversion to T*. A host read or write of device
// memory (`t.data()[0] = 1`, which crashed GPU suites that the host build had passed) is a compile
// error in every build, the thrust host build of CI included. Kernels get raw pointers only as the
// arguments the backend hands them (B::parallel_for(n, f, pointers...) calls f(i, raw pointers...));
// host code moves values through tensor::to_host / from_host and B::upload / download.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace mvg {

template <class T>
class device_ptr {
public:
  using element_type = T;
  device_ptr() = default;
  device_ptr(std::nullptr_t) {}
  // T → const T, as for raw pointers.
  template <class U>
    requires(std::is_convertible_v<U*, T*> && !std::is_same_v<U, T>)
  device_ptr(device_ptr<U> o) : p_(o.p_) {}

  device_ptr operator+(int64_t k) const { return device_ptr(p_ + k); }
  device_ptr operator-(int64_t k) const { return device_ptr(p_ - k); }
  device_ptr& operator+=(int64_t k) {
    p_ += k;
    return *this;
  }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(device_ptr a, device_ptr b) { return a.p_ == b.p_; }

private:
  explicit device_ptr(T* p) : p_(p) {}
  T* p_ = nullptr;
  template <class>
  friend class device_ptr;
  friend struct device_access;
};

// The one way from a device_ptr to its address and back, for backend code (kernel launches, cuBLAS,
// cudaMemcpy) only: scripts/check_layers.py refuses it anywhere outside include/mvg/backend/.
struct device_access {
  template <class T>
  static T* raw(device_ptr<T> p) {
    return p.p_;
  }
  template <class T>
  static device_ptr<T> wrap(T* p) {
    return device_ptr<T>(p);
  }
};

// A backend's pointer to T in its memory: T* for a host backend, device_ptr<T> for a GPU one.
template <class T, class B>
using ptr = typename B::template pointer<T>;

}  // namespace mvg
