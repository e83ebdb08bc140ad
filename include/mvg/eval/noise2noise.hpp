// mvg/eval/noise2noise.hpp: the corrected score of D3 (real-noise pairs, shared/DATA.md).
// Contract: with two independent noisy repeats x1 = s + n1, x2 = s + n2 of the same signal, a denoiser f
// applied to x1 is scored against x2 by MSE(f(x1), x2) − σ̂², σ̂² = ½·var(x1 − x2): E[(f − x2)²] =
// E[(f − s)²] + σ² (Noise2Noise), so the corrected score estimates the MSE against the unseen clean s.
// Everything is pooled over the pixels where the mask (the brain) is non-zero, in double; a set of
// slices accumulates into one score (pixels pooled, like the confusion matrix of segmentation).
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>

#include "mvg/core/error.hpp"
#include "mvg/eval/image_metrics.hpp"

namespace mvg::eval {

class noise2noise_score {
public:
  // pred = f(x1); x1, x2 the two repeats; mask selects the brain.
  template <class P, class A, class B, class M>
  void add(const P& pred, const A& x1, const B& x2, const M& mask) {
    detail::check_pair(pred, x2, "noise2noise_score"), detail::check_pair(x1, x2, "noise2noise_score");
    detail::check_pair(pred, mask, "noise2noise_score (mask)");
    for (std::size_t i = 0; i < mask.size(); ++i) {
      if (!mask.data()[i]) continue;
      const double e = static_cast<double>(pred.data()[i]) - static_cast<double>(x2.data()[i]);
      const double d = static_cast<double>(x1.data()[i]) - static_cast<double>(x2.data()[i]);
      se_ += e * e, d_ += d, d2_ += d * d, n_ += 1;
    }
  }
  std::size_t pixels() const { return static_cast<std::size_t>(n_); }
  double mse() const { return n_ > 0 ? se_ / n_ : std::numeric_limits<double>::quiet_NaN(); }
  // σ̂² = ½·var(x1 − x2) (population variance over the selected pixels).
  double sigma2_hat() const {
    if (n_ <= 0) return std::numeric_limits<double>::quiet_NaN();
    const double m = d_ / n_;
    return 0.5 * (d2_ / n_ - m * m);
  }
  // MSE(f(x1), x2) − σ̂²: the estimated MSE against the clean signal.
  double corrected_mse() const { return mse() - sigma2_hat(); }

private:
  double se_ = 0, d_ = 0, d2_ = 0, n_ = 0;
};

// One image (or a set stacked as one image): MSE(pred, x2) − ½·var(x1 − x2) inside the mask.
template <class P, class A, class B, class M>
double noise2noise_corrected_mse(const P& pred, const A& x1, const B& x2, const M& mask) {
  noise2noise_score s;
  s.add(pred, x1, x2, mask);
  MVG_CHECK(s.pixels() > 0, "noise2noise_corrected_mse: the mask selects no pixel");
  return s.corrected_mse();
}

}  // namespace mvg::eval
