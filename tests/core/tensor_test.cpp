#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/tensor/tensor.hpp"

using namespace mvg;
using ftensor = tensor<float, test_backend>;

TEST_CASE("shape: numel, strides, negative axes, printing", "[core]") {
  const shape s{2, 3, 4};
  REQUIRE(s.numel() == 24);
  REQUIRE(s.strides()[0] == 12);
  REQUIRE(s.strides()[1] == 4);
  REQUIRE(s.strides()[2] == 1);
  REQUIRE(s[-1] == 4);
  REQUIRE(s.str() == "[2, 3, 4]");
  REQUIRE(shape{}.numel() == 1);
  REQUIRE_THROWS_WITH(s[3], Catch::Contains("axis 3 out of range for shape [2, 3, 4]"));
  REQUIRE_THROWS_WITH((shape{1, 2, 3, 4, 5, 6, 7}), Catch::Contains("exceeds 6"));
}

TEST_CASE("tensor: construction, host round trip, views share storage", "[core]") {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = float(i);
  auto t = ftensor::from_host({2, 3, 4}, v);
  REQUIRE(t.to_host() == v);
  REQUIRE(reinterpret_cast<uintptr_t>(t.storage().get()) % 64 == 0);

  // A write through a view lands in the tensor it views (values go in through the host, as on a GPU).
  auto r = t.reshape({6, 4});
  REQUIRE(r.storage() == t.storage());
  std::vector<float> rv = r.to_host();
  rv[0] = 100.f;
  r.copy_from(ftensor::from_host(r.shape(), rv));
  REQUIRE(t.to_host()[0] == 100.f);

  auto n = t.narrow(1, 1);  // second [3, 4] block
  REQUIRE(n.shape() == (shape{1, 3, 4}));
  REQUIRE(n.to_host()[0] == 12.f);
  REQUIRE(n.storage() == t.storage());

  auto w = t.view(5, {2, 2});
  REQUIRE(w.to_host() == std::vector<float>{5, 6, 7, 8});

  auto c = t.clone();
  c.fill(-1.f);
  REQUIRE(c.to_host()[1] == -1.f);
  REQUIRE(t.to_host()[1] == 1.f);
  REQUIRE(ftensor::full({3}, 2.5f).to_host() == std::vector<float>{2.5f, 2.5f, 2.5f});
}

TEST_CASE("tensor: bad shapes throw messages naming both shapes", "[core][errors]") {
  auto t = ftensor::zeros({2, 3});
  REQUIRE_THROWS_WITH(t.reshape({4, 2}), Catch::Contains("[2, 3]") && Catch::Contains("[4, 2]"));
  REQUIRE_THROWS_WITH(t.narrow(1, 2), Catch::Contains("outside axis 0 of shape [2, 3]"));
  REQUIRE_THROWS_WITH(t.view(4, {2, 2}), Catch::Contains("outside a tensor of 6"));
  REQUIRE_THROWS_WITH(ftensor::from_host({2, 2}, {1, 2, 3}), Catch::Contains("do not fill shape [2, 2]"));
  REQUIRE_THROWS_WITH(t.item(), Catch::Contains("needs one element"));
}

TEST_CASE("backend gemm: row-major with leading dimensions, transposes and batches", "[core]") {
  // A 2x3 sub-block of a 2x4 buffer (lda 4) times a 3x2 matrix, accumulated into C (beta 1).
  const std::vector<float> a = {1, 2, 3, 99, 4, 5, 6, 99};
  const std::vector<float> b = {1, 0, 0, 1, 1, 1};
  std::vector<float> c = {10, 10, 10, 10};
  // Operands in the backend's memory (a GPU's cuBLAS reads device memory only).
  auto in = [](const std::vector<float>& v) { return ftensor::from_host({int64_t(v.size())}, v); };
  auto product = [&](const gemm_args& g, float alpha, const std::vector<float>& a, const std::vector<float>& b, float beta,
                     std::vector<float>& c) {
    auto ta = in(a), tb = in(b), tc = in(c);
    test_backend::gemm(g, alpha, ta.data(), tb.data(), beta, tc.data());
    c = tc.to_host();
  };
  gemm_args g;
  g.m = 2;
  g.n = 2;
  g.k = 3;
  g.lda = 4;
  g.ldb = 2;
  g.ldc = 2;
  product(g, 1.f, a, b, 1.f, c);
  REQUIRE(c == std::vector<float>{14, 15, 20, 21});
  // Aᵀ·B with A stored 3x2: [[1,4],[2,5],[3,6]]ᵀ = the same logical A (ignoring the 99s).
  const std::vector<float> at = {1, 4, 2, 5, 3, 6};
  g.trans_a = true;
  g.lda = 2;
  product(g, 2.f, at, b, 0.f, c);
  REQUIRE(c == std::vector<float>{8, 10, 20, 22});
  // Batched: two independent 1x1x2 products.
  const std::vector<float> x = {1, 2, 3, 4}, y = {5, 6, 7, 8};
  std::vector<float> z(2);
  gemm_args h;
  h.m = 1;
  h.n = 1;
  h.k = 2;
  h.lda = 2;
  h.ldb = 1;
  h.ldc = 1;
  h.batch = 2;
  h.stride_a = 2;
  h.stride_b = 2;
  h.stride_c = 1;
  product(h, 1.f, x, y, 0.f, z);
  REQUIRE(z == std::vector<float>{17, 53});
}

#if defined(MVG_TEST_BACKEND_CUDA)
// Host code cannot dereference a GPU tensor's memory (backend/device_ptr.hpp): these would compile and
// crash on a GPU if device_ptr gained *, [], -> or a conversion to T*.
namespace {
template <class P>
concept subscriptable = requires(P p) { p[0]; };
template <class P>
concept dereferenceable = requires(P p) { *p; };
template <class P>
concept member_accessible = requires(P p) { p.operator->(); };
}  // namespace
using dptr = ptr<float, test_backend>;
static_assert(std::is_same_v<dptr, device_ptr<float>>);
static_assert(!subscriptable<dptr> && !dereferenceable<dptr> && !member_accessible<dptr>);
static_assert(!std::is_convertible_v<dptr, float*> && !std::is_constructible_v<float*, dptr>);
static_assert(!std::is_constructible_v<dptr, float*>);  // nor can host memory pose as device memory
static_assert(std::is_convertible_v<dptr, device_ptr<const float>>);
static_assert(!std::is_convertible_v<device_ptr<const float>, dptr>);

TEST_CASE("device pointers: offsets and comparisons without access, kernels get the raw address", "[core]") {
  auto t = ftensor::from_host({6}, {0, 1, 2, 3, 4, 5});
  const auto p = t.data();
  REQUIRE(t.narrow(2, 3).data() == p + 2);
  REQUIRE_FALSE(t.narrow(2, 3).data() == p);
  REQUIRE(bool(p));
  REQUIRE_FALSE(bool(dptr{}));
  auto doubled = ftensor::zeros({3});
  test_backend::parallel_for(3, [] MVG_HD(int64_t i, const float* x, float* y) { y[i] = 2 * x[i]; }, p + 2,
                             doubled.data());
  REQUIRE(doubled.to_host() == std::vector<float>{4, 6, 8});
}
#endif
