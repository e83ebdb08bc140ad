// mvg/data/benchmark/scans.hpp: the regions and images the image-to-image recipes derive from the
// decoded scans (Cranium's intracranial soft tissue, the DWI images and brain, the ch2 brain), each
// memoised in the volume_store.
#pragma once
#include <string>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/image_task.hpp"
#include "mvg/data/formats/dicom.hpp"
#include "mvg/data/prep/intensity.hpp"
#include "mvg/data/prep/labels.hpp"

namespace mvg::data::detail {

// Cranium's intracranial soft tissue: inside the skull (bone holes filled per slice), not bone, HU in
// [−20, 100]; slices with an open skull fall back to soft tissue inside the head, 4 mm off its edge.
inline const mask3d& cranium_brain(volume_store& s, const std::string& id) {
  return s.memo<mask3d>("cranium-brain:" + id, [&] {
    const auto& p = s.inv3(id);
    const mask3d& head = cranium_head(s, id);
    mask3d bone = p.masks.at(0).data;
    for (std::size_t i = 0; i < bone.size(); ++i) bone.data()[i] &= head.data()[i];
    const mask3d inside = fill_holes_2d(bone, 0);
    mask3d out = mask3d::from_shape(head.shape());
    const std::size_t nz = head.shape()[0], ny = head.shape()[1], nx = head.shape()[2];
    for (std::size_t z = 0; z < nz; ++z) {
      std::size_t n = 0;
      for (std::size_t i = z * ny * nx; i < (z + 1) * ny * nx; ++i) {
        const float hu = p.matrix.data()[i];
        out.data()[i] = inside.data()[i] && !bone.data()[i] && hu >= -20 && hu <= 100;
        n += out.data()[i];
      }
      if (n >= 500) continue;
      for (std::size_t y = 0; y < ny; ++y)
        for (std::size_t x = 0; x < nx; ++x) {
          const bool deep = y >= 4 && x >= 4 && y + 4 < ny && x + 4 < nx && head(z, y, x) && head(z, y - 4, x) &&
                            head(z, y + 4, x) && head(z, y, x - 4) && head(z, y, x + 4);  // 4 px ≈ 4 mm inside
          const float hu = p.matrix(z, y, x);
          out(z, y, x) = deep && hu >= -20 && hu <= 100;
        }
    }
    return out;
  });
}

inline const dicom_mosaic& mosaic(volume_store& s, const std::string& id) {
  return s.memo<dicom_mosaic>("dicom:" + id, [&] { return read_siemens_mosaic(s.path(id)); });
}

// Raw DWI values with the saturated (65535) pixels clipped to the volume's unsaturated 99.5th percentile.
inline xt::xarray<float> dwi_clipped(const dicom_mosaic& m) {
  const float hi = percentile_range(m.volume, 0.5, 99.5, 65535.0f).hi;
  xt::xarray<float> v = m.volume;
  for (auto& x : v) x = x >= 65535.0f ? hi : x;
  return v;
}

// A DWI image: the mean of the listed volumes (the two b≈0 repeats for X1), clipped, then scaled per volume.
inline const xt::xarray<float>& dwi_image(volume_store& s, const std::string& ids) {
  return s.memo<xt::xarray<float>>("dwi:" + ids, [&] {
    const auto list = split_ids(ids);
    xt::xarray<float> sum;
    for (const auto& id : list) {
      const auto v = dwi_clipped(mosaic(s, id));
      if (&id == &list.front()) sum = v;
      else {
        MVG_CHECK(sum.shape() == v.shape(), s.path(id).string(), ": mosaic shape differs from ", list[0]);
        sum += v;
      }
    }
    sum /= static_cast<float>(list.size());
    return xt::xarray<float>(scale_mri(sum));
  });
}

// DWI brain: mean b≈0 above 20% of its 99th percentile, largest 3-D component, holes filled per slice.
inline const mask3d& dwi_brain(volume_store& s, const std::string& ids) {
  return s.memo<mask3d>("dwi-brain:" + ids, [&] {
    const auto& img = dwi_image(s, ids);
    const float thr = 0.2f * percentile_range(img, 0.5, 99.0).hi;
    mask3d m = mask3d::from_shape(img.shape());
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = img.data()[i] > thr;
    return fill_holes_2d(largest_component(m), 0);
  });
}

// ch2 slices with the S1 brain (largest 3-D component of ch2bet > 0).
inline const mask3d& ch2_brain(volume_store& s, const set_spec& spec, const std::string& mf) {
  const std::string key = "brain-mask:" + spec.get("labels", mf);
  return s.memo<mask3d>(key, [&] {
    const auto ids = nifti_labels(s, spec);
    mask3d m = mask3d::from_shape(ids->shape());
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = ids->data()[i] >= 1;
    return largest_component(m);
  });
}

}  // namespace mvg::data::detail
