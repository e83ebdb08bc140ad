// mvg/data/benchmark/task_kind.hpp: the four task kinds of the benchmark (shared/DATA.md), named once.
//   Segmentation sets and the image-to-image tasks both carry one; objectives and eval use the same type.
#pragma once

namespace mvg::data {

enum class task_kind { segmentation = 0, denoising = 1, inpainting = 2, synthesis = 3 };
inline constexpr int task_kinds = 4;

inline const char* task_name(task_kind k) {
  static const char* names[] = {"segmentation", "denoising", "inpainting", "synthesis"};
  return names[static_cast<int>(k)];
}

}  // namespace mvg::data
