// mvg/data/benchmark/recipes/inpaint.hpp: the "inpaint" recipe: ch2 or Cranium slices with boxes or
// lesion-like blobs punched out inside the body; test holes come from a seed range training never uses.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/benchmark/scans.hpp"
#include "mvg/data/simulate/holes.hpp"

namespace mvg::data::detail {

inline void build_inpaint(pair_builder& b) {
  b.task.kind = task_kind::inpainting;
  const std::string id = b.spec.get("image", b.mf);
  const auto& img = normalised_image(b.store, b.spec);
  b.task.slice_mm = slice_spacing(b.store, id, b.task.axis);
  const bool ct = is_inv3(b.store, id), rot = b.rot();
  const mask3d* body3 = nullptr;
  const mask3d* brain3 = nullptr;
  if (ct) {
    body3 = &cranium_head(b.store, id), brain3 = &cranium_brain(b.store, id);
  } else {
    brain3 = &ch2_brain(b.store, b.spec, b.mf);
    body3 = &b.store.memo<mask3d>("body:" + id, [&] {
      mask3d m = mask3d::from_shape(img.shape());
      for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = img.data()[i] > 0.08f;
      return fill_holes_2d(largest_component(m), b.task.axis);
    });
  }
  b.task.description = std::string("inpainting: 1-3 boxes (sides 12-40 px at 128^2) inside the ") +
                       (ct ? "head" : "body") + " or lesion-like blobs inside the " +
                       (ct ? "intracranial soft tissue" : "brain") + "; hole = 0 in the input";
  std::size_t index = 0;
  for (const auto& [z, role] : pair_roles(b.spec, img.shape()[b.task.axis], b.task.slice_mm, b.mf)) {
    const auto body = mask_slice(*body3, b.task.axis, z);
    if (mask_count(body) < b.min_fg()) continue;
    image_pair pr;
    pr.slice = z;
    pr.target = b.fit(extract_slice<float>(img, b.task.axis, z), rot, false);
    pr.body = b.fit(body, rot, true);
    pr.region = b.fit(mask_slice(*brain3, b.task.axis, z), rot, true);
    if (mask_count(pr.region) == 0) pr.region = pr.body;
    pr.seed = hole_seed(role == split::test, b.task.seed, index++);
    pr.hole = make_hole_mask(pr.body, pr.region, pr.seed);
    pr.input = punch_holes(pr.target, pr.hole);
    b.list(role).push_back(std::move(pr));
  }
}

}  // namespace mvg::data::detail
