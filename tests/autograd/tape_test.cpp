// The tape's contract: records only in grad mode, no_grad is scoped, backward adds, zeroing is explicit.
#include <catch2/catch.hpp>

#include "support/backend_under_test.hpp"
#include "mvg/ops.hpp"

using namespace mvg;
using ftensor = tensor<float, test_backend>;
using fvar = var<float, test_backend>;

TEST_CASE("tape records only in grad mode and only for inputs that need grad", "[autograd]") {
  auto& tape = autograd::current_tape();
  tape.clear();
  fvar a(ftensor::full({3}, 2.f), true), c(ftensor::full({3}, 1.f), false);
  auto b = ops::mul(a, a);
  REQUIRE(tape.size() == 1);
  REQUIRE(b.requires_grad());
  auto d = ops::add(c, c);  // no input needs grad
  REQUIRE(tape.size() == 1);
  REQUIRE_FALSE(d.requires_grad());
  {
    autograd::no_grad guard;
    REQUIRE_FALSE(autograd::grad_enabled());
    auto e = ops::mul(a, a);
    REQUIRE_FALSE(e.requires_grad());
    REQUIRE(tape.size() == 1);
    {
      autograd::no_grad nested;
    }
    REQUIRE_FALSE(autograd::grad_enabled());  // the inner guard restores the outer state
  }
  REQUIRE(autograd::grad_enabled());
  tape.clear();
}

TEST_CASE("backward accumulates into existing gradients and zeroing is explicit", "[autograd]") {
  autograd::current_tape().clear();
  auto grad_buffer = ftensor::full({2}, 10.f);  // a sentinel, as if a previous step left it there
  fvar x(ftensor::from_host({2}, {1.f, 2.f}), grad_buffer);
  autograd::backward(ops::sum(ops::mul(x, x)));  // d/dx Σx² = 2x
  REQUIRE(grad_buffer.to_host() == std::vector<float>{12.f, 14.f});
  autograd::backward(ops::sum(ops::mul(x, x)));  // a second backward adds again
  REQUIRE(grad_buffer.to_host() == std::vector<float>{14.f, 18.f});
  grad_buffer.fill(0.f);
  autograd::backward(ops::sum(ops::scale(x, 3.f)));
  REQUIRE(grad_buffer.to_host() == std::vector<float>{3.f, 3.f});
}

TEST_CASE("a var used twice receives both gradient contributions", "[autograd]") {
  autograd::current_tape().clear();
  fvar x(ftensor::from_host({1}, {3.f}), true);
  auto y = ops::add(ops::mul(x, x), ops::scale(x, 5.f));  // x² + 5x → 2x + 5 = 11
  autograd::backward(ops::sum(y));
  REQUIRE(x.grad().to_host()[0] == Approx(11.f));
}

TEST_CASE("backward releases the tape and throws without grad", "[autograd][errors]") {
  autograd::current_tape().clear();
  fvar x(ftensor::from_host({1}, {3.f}), true);
  auto y = ops::sum(ops::mul(x, x));
  REQUIRE(autograd::current_tape().size() == 2);
  autograd::backward(y);
  REQUIRE(autograd::current_tape().size() == 0);
  fvar z(ftensor::full({2}, 1.f), false);
  REQUIRE_THROWS_WITH(autograd::backward(ops::sum(z)), Catch::Contains("does not require grad"));
  fvar w(ftensor::full({2}, 1.f), true);
  REQUIRE_THROWS_WITH(autograd::backward(ops::mul(w, w)), Catch::Contains("not a scalar"));
  autograd::current_tape().clear();
}

TEST_CASE("nodes keep only what backward needs: dropped activations are freed", "[autograd]") {
  autograd::current_tape().clear();
  fvar x(ftensor::full({4}, 1.f), true);
  std::weak_ptr<float> scaled_storage;
  {
    auto s = ops::scale(x, 2.f);  // scale's backward needs no activations
    scaled_storage = s.value().storage();
    auto y = ops::sum(s);
    (void)y;
  }
  REQUIRE(scaled_storage.expired());
  autograd::current_tape().clear();
}
