// examples/common/model_choice.hpp: the one place the example programs choose their model.
// The preset is fixed at build time (CMake -DMVG_PRESET=tiny|small|base|large, default tiny), as is
// the backend policy (-DMVG_EXAMPLES_BACKEND=cpu|cuda): every program below uses `example::model_t` and nothing else.
#pragma once
#include <mvg/mvg.hpp>
#if defined(MVG_EXAMPLE_BACKEND_CUDA)  // CMake -DMVG_EXAMPLES_BACKEND=cuda
#include <mvg/backend/cuda/cuda.hpp>
#endif

#ifndef MVG_EXAMPLE_PRESET
#define MVG_EXAMPLE_PRESET tiny
#endif
#define MVG_EXAMPLE_STR2(x) #x
#define MVG_EXAMPLE_STR(x) MVG_EXAMPLE_STR2(x)

namespace example {

inline constexpr mvg::config cfg = mvg::presets::MVG_EXAMPLE_PRESET;
inline constexpr const char* preset_name = MVG_EXAMPLE_STR(MVG_EXAMPLE_PRESET);
#if defined(MVG_EXAMPLE_BACKEND_CUDA)
using backend = mvg::cuda;  // the backend policy: changing this one type moves the programs
#else
using backend = mvg::cpu;
#endif
using model_t = mvg::model<cfg, backend>;
using optimizer_t = mvg::optim::adamw<model_t::scalar, backend>;

}  // namespace example
