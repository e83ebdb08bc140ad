// examples/common/model_choice.hpp: the one place the example programs choose their model.
// The preset is fixed at build time (CMake -DMVG_PRESET=tiny|small|base|large, default tiny), as is
// the backend policy (-DMVG_EXAMPLES_BACKEND=cpu|cuda): every program below uses `example::model_t` and nothing else.
#pragma once
#include <cstdio>
#include <mvg/mvg.hpp>
#include <string>
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

// --precision: sets the backend's product precision (mvg/backend/precision.hpp) and says once, at
// start, when this machine cannot run it as asked. Returns the precision the products really use.
inline mvg::precision use_precision(const std::string& flag) {
  const mvg::precision asked = mvg::parse_precision(flag, "--precision");
  const mvg::precision got = backend::set_precision(asked);
  const std::string note = backend::precision_note(asked);
  if (!note.empty()) std::printf("%s\n", note.c_str());
  return got;
}
inline const char* precision_help() {
  return "matrix products: fp32, bf16 (bf16 operands, fp32 accumulation; AMX/AVX512-BF16 CPUs and GPUs, fp32 "
         "elsewhere) or tf32 (GPU)";
}

}  // namespace example
