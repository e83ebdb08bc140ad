// mvg/core/random.hpp: a seeded generator whose streams are identical on every platform.
// std::normal_distribution is implementation-defined, so distributions are written out here.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>

#include "mvg/core/error.hpp"

namespace mvg {

// xoshiro256** seeded through splitmix64 (Blackman & Vigna); fast, 2^256 period.
class rng {
public:
  explicit rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (auto& w : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      w = z ^ (z >> 31);
    }
    has_spare_ = false;
  }
  uint64_t next_u64() {
    const uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), unbiased (Lemire's rejection).
  uint64_t below(uint64_t n) {
    MVG_CHECK(n > 0, "rng::below: n must be positive");
    uint64_t threshold = (0 - n) % n;
    for (;;) {
      uint64_t x = next_u64();
      __uint128_t m = static_cast<__uint128_t>(x) * n;
      if (static_cast<uint64_t>(m) >= threshold) return static_cast<uint64_t>(m >> 64);
    }
  }
  // Index i with probability weights[i] / Σ weights (one uniform draw); weights ≤ 0 are never drawn.
  // `empty_message` is the error when no weight is positive.
  template <class Weights>
  std::size_t weighted_index(const Weights& weights, const char* empty_message) {
    double total = 0;
    for (double w : weights) total += w > 0 ? w : 0.0;
    MVG_CHECK(total > 0, empty_message);
    double u = uniform() * total;
    std::size_t i = 0, last = 0;
    for (double w : weights) {
      if (w > 0) {
        last = i;
        if (u < w) return i;
        u -= w;
      }
      ++i;
    }
    return last;  // u rounded past the sum
  }
  // Standard normal by the polar Box-Muller method (keeps the spare draw).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  double normal(double mean, double std) { return mean + std * normal(); }
  // Normal(mean, std) restricted to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_).
  double truncated_normal(double mean, double std, double a, double b) {
    MVG_CHECK(a < b, "truncated_normal: lower bound ", a, " must be below upper bound ", b);
    const double za = (a - mean) / std, zb = (b - mean) / std;
    if (za > 4.0 || zb < -4.0) return std::clamp(mean, a, b);  // no mass inside: degenerate
    for (;;) {
      double x = normal(mean, std);
      if (x >= a && x <= b) return x;
    }
  }
  // Derive an independent stream (e.g. one per worker or per sample) from this one.
  rng split() { return rng(next_u64()); }

  // The whole state as text (4 state words, then the Box-Muller spare), so a resumed training run
  // continues the very same stream: "s0 s1 s2 s3 has_spare spare_bits", hexadecimal.
  std::string state() const {
    uint64_t bits;
    std::memcpy(&bits, &spare_, sizeof bits);
    std::ostringstream o;
    o << std::hex << s_[0] << ' ' << s_[1] << ' ' << s_[2] << ' ' << s_[3] << ' ' << (has_spare_ ? 1 : 0) << ' '
      << bits;
    return o.str();
  }
  void set_state(const std::string& text) {
    std::istringstream in(text);
    uint64_t w[4], bits = 0;
    int spare = -1;
    in >> std::hex >> w[0] >> w[1] >> w[2] >> w[3] >> spare >> bits;
    MVG_CHECK(in && (spare == 0 || spare == 1) && (in >> std::ws).eof() && (w[0] | w[1] | w[2] | w[3]) != 0,
              "rng::set_state: '", text, "' is not a generator state (expected 6 hexadecimal fields)");
    std::copy(w, w + 4, s_);
    has_spare_ = spare == 1;
    std::memcpy(&spare_, &bits, sizeof bits);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace mvg
