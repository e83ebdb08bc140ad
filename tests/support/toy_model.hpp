// The small model the training tests learn toy tasks with: 16² canvas, 4×4 patches, 4 blocks of
// width 32. Big enough to learn a copy in a few hundred steps on one core, small enough for CI.
#pragma once
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/nn/model.hpp"

namespace mvg::test {
inline constexpr config toy_cfg{.image_size = 16, .patch = 4, .embed_dim = 32, .depth = 4, .heads = 2,
                                .mlp_ratio = 2, .decoder_channels = 8};
using toy_model = model<toy_cfg, cpu>;
}  // namespace mvg::test
