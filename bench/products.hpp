// bench/products.hpp: how a benchmark case multiplies, chosen by one of its arguments (the CPU:
// 0 = fp32 through Eigen, mvg before oneDNN; 1 = fp32 through oneDNN; 2 = bf16. A GPU: 0 = fp32,
// 1 = tf32, 2 = bf16). Set for the case's scope; the case's label says what really ran.
#pragma once
#include <benchmark/benchmark.h>

#include <string>

#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/backend/precision.hpp"

template <class B>
struct products_scope {
  static constexpr bool gpu = requires { B::on_device; };
  products_scope(benchmark::State& st, int64_t mode) {
    const mvg::precision asked = mode == 2 ? mvg::precision::bf16 : mode == 1 && gpu
                                                                         ? mvg::precision::tf32
                                                                         : mvg::precision::fp32;
    if constexpr (!gpu) {
      onednn_before = mvg::detail::onednn_fp32().load();
      mvg::detail::onednn_fp32() = mode != 0;
    }
    const mvg::precision got = B::set_precision(asked);
    std::string label = mvg::precision_name(got);
    if constexpr (!gpu) label += mode == 0 ? " eigen" : " onednn";
    if (got != asked) label += std::string(" (") + mvg::precision_name(asked) + " unavailable)";
    st.SetLabel(label);
  }
  ~products_scope() {
    B::set_precision(mvg::precision::fp32);
    if constexpr (!gpu) mvg::detail::onednn_fp32() = onednn_before;
  }
  products_scope(const products_scope&) = delete;
  products_scope& operator=(const products_scope&) = delete;
  bool onednn_before = true;
};
