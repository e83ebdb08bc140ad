#include <catch2/catch.hpp>
#include <cmath>

#include "mvg/core/random.hpp"

using mvg::rng;

TEST_CASE("rng: seeded streams repeat and differ across seeds", "[core][random]") {
  rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    REQUIRE(x == b.next_u64());
    (void)c;
  }
  rng d(42), e(43);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += d.next_u64() == e.next_u64();
  REQUIRE(same == 0);
  // Pinned values (xoshiro256** after splitmix64, checked with an independent Python transcription):
  // the stream must not change between platforms or versions.
  rng z(0);
  REQUIRE(z.next_u64() == 0x99ec5f36cb75f2b4ull);
  REQUIRE(z.next_u64() == 0xbf6e1f784956452aull);
}

TEST_CASE("rng: uniform, normal and truncated normal moments", "[core][random]") {
  rng g(1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, st = 0, st2 = 0, tmin = 1, tmax = -1;
  uint64_t hist[10] = {};
  for (int i = 0; i < n; ++i) {
    const double u = g.uniform();
    REQUIRE((u >= 0 && u < 1));
    su += u;
    const double z = g.normal();
    sn += z;
    sn2 += z * z;
    const double t = g.truncated_normal(0, 1, -1, 2);
    st += t;
    st2 += t * t;
    tmin = std::min(tmin, t);
    tmax = std::max(tmax, t);
    ++hist[g.below(10)];
  }
  REQUIRE(su / n == Approx(0.5).margin(0.005));
  REQUIRE(sn / n == Approx(0.0).margin(0.01));
  REQUIRE(sn2 / n == Approx(1.0).margin(0.01));
  REQUIRE(tmin >= -1.0);
  REQUIRE(tmax <= 2.0);
  // Mean of N(0,1) truncated to [-1, 2]: (φ(-1) − φ(2)) / (Φ(2) − Φ(-1)) = 0.22964
  REQUIRE(st / n == Approx(0.22964).margin(0.01));
  for (auto h : hist) REQUIRE(double(h) / n == Approx(0.1).margin(0.005));
}

TEST_CASE("rng: state round-trips through text, spare normal included", "[core][random]") {
  mvg::rng a(7);
  a.normal();  // leaves a spare Box-Muller draw in the state
  mvg::rng b(123);
  b.set_state(a.state());
  for (int i = 0; i < 5; ++i) REQUIRE(a.normal() == b.normal());
  REQUIRE(a.next_u64() == b.next_u64());
  mvg::rng c(0);
  REQUIRE_THROWS_WITH(c.set_state("1 2 3"), Catch::Contains("not a generator state"));
  REQUIRE_THROWS_WITH(c.set_state("0 0 0 0 0 0"), Catch::Contains("not a generator state"));
  REQUIRE_THROWS_WITH(c.set_state(a.state() + " junk"), Catch::Contains("not a generator state"));
}
