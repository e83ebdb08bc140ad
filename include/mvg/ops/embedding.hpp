// mvg/ops/embedding.hpp: row lookup (torch.nn.functional.embedding).
//   table: [R, D], indices: n row numbers → [n, D]; backward scatter-adds into the used rows.
#pragma once
#include <vector>

#include "mvg/ops/detail.hpp"

namespace mvg::ops {

template <class T, backend B>
var<T, B> embedding(const var<T, B>& table, const std::vector<int64_t>& indices) {
  MVG_CHECK(table.shape().rank() == 2, "embedding: table must be [rows, dim], got ", table.shape().str());
  const int64_t rows = table.dim(0), d = table.dim(1), n = static_cast<int64_t>(indices.size());
  for (int64_t i : indices)
    MVG_CHECK(i >= 0 && i < rows, "embedding: index ", i, " outside a table of ", rows, " rows");
  std::vector<T> idx_host(indices.begin(), indices.end());
  auto idx = tensor<T, B>::from_host(shape{n}, idx_host);  // small, exact as T for any sane row count
  tensor<T, B> y(shape{n, d});
  B::parallel_for(
      n * d,
      [=] MVG_HD(int64_t e, const T* tp, const T* ip, T* yp) {
        yp[e] = tp[static_cast<int64_t>(ip[e / d]) * d + e % d];
      },
      table.value().data(), idx.data(), y.data());
  const bool rec = autograd::should_record(table);
  auto out = autograd::result(y, rec);
  detail::record(rec, [idx, ts = table.slot(), os = out.slot(), n, d] {
    if (!os->has()) return;
    // Parallel over feature columns: a row used twice is summed by one thread, no races.
    B::parallel_for(
        d,
        [=] MVG_HD(int64_t j, const T* g, const T* ip, T* gt) {
          for (int64_t i = 0; i < n; ++i) gt[static_cast<int64_t>(ip[i]) * d + j] += g[i * d + j];
        },
        os->grad.data(), idx.data(), ts->get().data());
  });
  return out;
}

}  // namespace mvg::ops
