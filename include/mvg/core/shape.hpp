// mvg/core/shape.hpp: a small fixed-capacity shape (rank <= 6), row-major strides, printing.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

#include "mvg/core/error.hpp"

namespace mvg {

class shape {
public:
  static constexpr int max_rank = 6;

  shape() = default;
  shape(std::initializer_list<int64_t> dims) {
    MVG_CHECK(dims.size() <= max_rank, "shape: rank ", dims.size(), " exceeds ", max_rank);
    for (int64_t d : dims) push_back(d);
  }
  template <class It>
  shape(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }

  void push_back(int64_t d) {
    MVG_CHECK(rank_ < max_rank, "shape: rank exceeds ", max_rank);
    MVG_CHECK(d >= 0, "shape: negative dimension ", d);
    d_[rank_++] = d;
  }
  int rank() const { return rank_; }
  // Negative axes count from the end, as in PyTorch.
  int axis(int a) const {
    int r = a < 0 ? a + rank_ : a;
    MVG_CHECK(r >= 0 && r < rank_, "axis ", a, " out of range for shape ", str());
    return r;
  }
  int64_t operator[](int i) const { return d_[axis(i)]; }
  int64_t& operator[](int i) { return d_[axis(i)]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= d_[i];
    return n;
  }
  // Row-major strides in elements.
  std::array<int64_t, max_rank> strides() const {
    std::array<int64_t, max_rank> s{};
    int64_t acc = 1;
    for (int i = rank_ - 1; i >= 0; --i) {
      s[i] = acc;
      acc *= d_[i];
    }
    return s;
  }
  const int64_t* begin() const { return d_.data(); }
  const int64_t* end() const { return d_.data() + rank_; }

  friend bool operator==(const shape& a, const shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a.d_[i] != b.d_[i]) return false;
    return true;
  }
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(d_[i]);
    return s + "]";
  }
  friend std::ostream& operator<<(std::ostream& o, const shape& s) { return o << s.str(); }

private:
  std::array<int64_t, max_rank> d_{};
  int rank_ = 0;
};

}  // namespace mvg
