// The smallest model the checkpoint fuzz targets load into: every tensor kind of the real model
// (patch embedding, blocks, decoder), a few thousand parameters, so one load costs microseconds.
#pragma once
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/optim/adamw.hpp"

namespace mvg_fuzz {
inline constexpr mvg::config micro{.image_size = 16, .patch = 8, .embed_dim = 8, .depth = 4, .heads = 1,
                                   .mlp_ratio = 2, .decoder_channels = 2};
using micro_model = mvg::model<micro, mvg::cpu>;
}  // namespace mvg_fuzz
