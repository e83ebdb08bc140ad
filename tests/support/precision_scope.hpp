// tests/support/precision_scope.hpp: sets the backend under test's product precision for one scope and
// restores the previous one on exit, also when a check fails. On a CPU without AMX or AVX512-BF16 the
// emulated bf16 product stands in for oneDNN's (the same numbers up to summation order), so every
// machine runs a bf16 product.
#pragma once
#include <type_traits>

#include "mvg/backend/precision.hpp"
#include "support/backend_under_test.hpp"

namespace mvg_test {

struct precision_scope {
  explicit precision_scope(mvg::precision p) : before(mvg::test_backend::precision()) {
    if constexpr (std::is_same_v<mvg::test_backend, mvg::cpu>) {
      emulating_before = mvg::detail::bf16_emulation().load();
      mvg::detail::bf16_emulation() = !mvg::detail::onednn_has_bf16();
    }
    mvg::test_backend::set_precision(p);
  }
  ~precision_scope() {
    mvg::test_backend::set_precision(before);
    if constexpr (std::is_same_v<mvg::test_backend, mvg::cpu>) mvg::detail::bf16_emulation() = emulating_before;
  }
  precision_scope(const precision_scope&) = delete;
  precision_scope& operator=(const precision_scope&) = delete;

  mvg::precision before;
  bool emulating_before = false;
};

}  // namespace mvg_test
