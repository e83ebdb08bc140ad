// tests/support/precision_scope.hpp: sets the backend under test's product precision for one scope and
// restores the previous one on exit, also when a check fails. On a CPU without AMX or AVX512-BF16 the
// emulated bf16 product stands in for oneDNN's (the same numbers up to summation order), so every
// machine runs a bf16 product.
// The CPU-only part is preprocessed out for mvg::cuda: nvcc's build of the GPU suites has no mvg::cpu
// (an `if constexpr` outside a template still names it, which broke test_cuda_device_core's build).
#pragma once

#include "mvg/backend/precision.hpp"
#include "support/backend_under_test.hpp"

namespace mvg_test {

struct precision_scope {
  explicit precision_scope(mvg::precision p) : before(mvg::test_backend::precision()) {
#if !defined(MVG_TEST_BACKEND_CUDA)
    emulating_before = mvg::detail::bf16_emulation().load();
    mvg::detail::bf16_emulation() = !mvg::detail::onednn_has_bf16();
#endif
    mvg::test_backend::set_precision(p);
  }
  ~precision_scope() {
    mvg::test_backend::set_precision(before);
#if !defined(MVG_TEST_BACKEND_CUDA)
    mvg::detail::bf16_emulation() = emulating_before;
#endif
  }
  precision_scope(const precision_scope&) = delete;
  precision_scope& operator=(const precision_scope&) = delete;

  mvg::precision before;
  bool emulating_before = false;
};

}  // namespace mvg_test
