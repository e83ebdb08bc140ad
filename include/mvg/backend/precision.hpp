// mvg/backend/precision.hpp: the precision of a backend's float matrix products (every linear layer,
// attention product and convolution goes through Backend::gemm). Tensors, master weights, gradients,
// AdamW state, LayerNorm, softmax and the losses stay fp32 in every mode: PyTorch autocast's split.
//
//   fp32  operands and products in fp32 (the default; the numbers of every earlier release).
//   tf32  GPU only: fp32 operands, tensor-core products with 10-bit mantissas (torch's allow_tf32);
//         the CPU has no TF32 and computes fp32.
//   bf16  operands rounded to bfloat16 (8-bit mantissa), products accumulated in fp32. On the CPU
//         through oneDNN where the cores have AMX or AVX512-BF16, else fp32; on the GPU, cuBLAS with
//         bf16 operands and fp32 compute.
//
// A backend policy holds its precision as process-wide state, like its thread count:
// `mvg::cpu::set_precision(mvg::precision::bf16)` once at start returns the precision its products
// will really use. Why state and not a type: the data are fp32 in every mode, so a tensor of one mode
// is a tensor of the other (a checkpoint trained in bf16 runs in fp32 and back), and a second type
// would compile every program twice (docs/precision.md).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "mvg/backend/backend.hpp"
#include "mvg/core/error.hpp"

namespace mvg {

enum class precision { fp32, tf32, bf16 };

inline const char* precision_name(precision p) {
  switch (p) {
    case precision::tf32: return "tf32";
    case precision::bf16: return "bf16";
    default: return "fp32";
  }
}

// "fp32" | "tf32" | "bf16"; `what` names the flag or field in the error.
inline precision parse_precision(std::string_view text, std::string_view what) {
  for (precision p : {precision::fp32, precision::tf32, precision::bf16})
    if (text == precision_name(p)) return p;
  detail::fail(what, ": '", std::string(text), "' is not a precision (expected fp32, tf32 or bf16)");
}

namespace detail {
// fp32 → bf16 bits with round-to-nearest-even (what oneDNN, cuBLAS and torch's .to(bfloat16) do);
// NaN stays a quiet NaN instead of rounding up into infinity.
MVG_HD inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
MVG_HD inline float bf16_value(uint16_t bits) {
  const uint32_t u = uint32_t(bits) << 16;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
// x rounded to the nearest bfloat16, as an fp32 value.
MVG_HD inline float round_to_bf16(float x) { return bf16_value(bf16_bits(x)); }
}  // namespace detail

}  // namespace mvg
