// mvg/optim/lr_schedule.hpp: linear warm-up to the peak, then cosine decay to min_lr, per iteration
// (the paper: peak 1e-3, cosine, warm-up 5 of 100 epochs).
#pragma once
#include <cmath>
#include <cstdint>

namespace mvg::optim {

struct warmup_cosine {
  double peak_lr = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_lr = 0.0;

  // Learning rate of iteration `step` (0-based).
  double operator()(int64_t step) const {
    if (warmup_steps > 0 && step < warmup_steps) return peak_lr * double(step + 1) / double(warmup_steps);
    const int64_t span = total_steps - warmup_steps;
    if (span <= 0) return min_lr;
    const double progress = std::min(1.0, double(step - warmup_steps) / double(span));
    return min_lr + 0.5 * (peak_lr - min_lr) * (1.0 + std::cos(M_PI * progress));
  }
};

}  // namespace mvg::optim
