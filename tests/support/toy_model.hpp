// The small model the training tests learn toy tasks with: 16² canvas, 4×4 patches, 4 blocks of
// width 32. Big enough to learn a copy in a few hundred steps on one core, small enough for CI.
#pragma once
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/nn/model.hpp"

namespace mvg::test {
inline constexpr config toy_cfg{.image_size = 16, .patch = 4, .embed_dim = 32, .depth = 4, .heads = 2,
                                .mlp_ratio = 2, .decoder_channels = 8};
using toy_model = model<toy_cfg, cpu>;

// Trains a toy model on one thread for the scope's length. Its tensors are too small for threads to
// pay (1 thread 8.9 s, 2 threads 6.7 s alone), and under ctest -j three such trainings at 2 threads
// each on 2 cores took 80–390 s instead of 9.
class one_thread {
public:
  one_thread() : before_(cpu::threads()) { cpu::set_threads(1); }
  ~one_thread() { cpu::set_threads(before_); }
  one_thread(const one_thread&) = delete;
  one_thread& operator=(const one_thread&) = delete;

private:
  int before_;
};
}  // namespace mvg::test
