// The float softmax's own exp (ops/softmax.hpp, exp_nonpositive) against std::exp, and a float softmax
// row against a double one: the vectorisable exp must not cost accuracy a user could see.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "mvg/ops.hpp"

using mvg::ops::mask_kind;
using mvg::ops::detail::exp_nonpositive;
using mvg::ops::detail::softmax_row;

TEST_CASE("softmax's float exp is within 2 ulp of std::exp over [-87.3, 0]", "[ops]") {
  double worst = 0;
  for (float x = 0.f; x > -87.3f; x -= 0.000731f) {
    const float want = std::exp(x), got = exp_nonpositive(x);
    const float ulp = std::nextafter(want, 1.f) - want;
    worst = std::max(worst, std::abs(double(got) - double(want)) / ulp);
  }
  CHECK(worst <= 2.0);
  CHECK(exp_nonpositive(0.f) == 1.f);
}

TEST_CASE("softmax's float exp: a masked score (-inf) and anything below the normal range give 0, NaN stays NaN",
          "[ops]") {
  CHECK(exp_nonpositive(-std::numeric_limits<float>::infinity()) == 0.f);
  CHECK(exp_nonpositive(-100.f) == 0.f);
  CHECK(exp_nonpositive(-1e30f) == 0.f);
  CHECK(std::isnan(exp_nonpositive(std::numeric_limits<float>::quiet_NaN())));
  CHECK(exp_nonpositive(-1.0) == std::exp(-1.0));  // double keeps std::exp, to the bit
}

TEST_CASE("a float softmax row matches a double one, masked entries are exactly 0, a NaN score propagates", "[ops]") {
  const int64_t len = 203;  // not a multiple of any vector width
  std::vector<float> x(len), m(len), y(len);
  std::vector<double> xd(len), md(len), yd(len);
  for (int64_t j = 0; j < len; ++j) {
    x[j] = float(std::sin(0.37 * double(j)) * 12.0);
    xd[j] = x[j];
    m[j] = j % 7 == 3 ? -std::numeric_limits<float>::infinity() : float(0.01 * double(j % 5));
    md[j] = m[j];
  }
  for (const mask_kind kind : {mask_kind::additive, mask_kind::keep}) {
    std::vector<float> mk = m;
    std::vector<double> mkd = md;
    if (kind == mask_kind::keep)
      for (int64_t j = 0; j < len; ++j) mk[j] = mkd[j] = j % 7 == 3 ? 0 : 1;
    softmax_row(x.data(), y.data(), len, mk.data(), kind);
    softmax_row(xd.data(), yd.data(), len, mkd.data(), kind);
    double total = 0;
    for (int64_t j = 0; j < len; ++j) {
      total += y[j];
      if (j % 7 == 3) {
        CHECK(y[j] == 0.f);
      } else {
        CHECK(std::abs(double(y[j]) - yd[j]) <= 1e-6 * yd[j] + 1e-12);
      }
    }
    CHECK(total == Approx(1.0).epsilon(1e-6));
  }
  x[5] = std::numeric_limits<float>::quiet_NaN();
  softmax_row(x.data(), y.data(), len, static_cast<const float*>(nullptr), mask_kind::additive);
  CHECK(std::isnan(y[5]));
}
