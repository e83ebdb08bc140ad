// mvg/data/benchmark/sources.hpp: the decoded scans behind the benchmark and the label recipes of DATA.md.
// Contract: volume_store decodes each manifest file once per store and keeps it (ch2 feeds four sets);
// a missing file is an mvg::error that names the path and says to run scripts/fetch_data.sh. A recipe
// turns a set_spec into one normalised image volume in [0, 1] and one int32 label volume of the same
// shape (class ids, or raw atlas ids for the per-label recipes) plus the class/task names. Label and
// image volumes must share their grid (shape and affine), or the recipe throws.
#pragma once
#include <any>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/prep/intensity.hpp"
#include "mvg/data/formats/inv3.hpp"
#include "mvg/data/prep/labels.hpp"
#include "mvg/data/benchmark/manifest.hpp"
#include "mvg/data/formats/nifti.hpp"

namespace mvg::data {

class volume_store {
public:
  volume_store(manifest m, std::filesystem::path data_dir) : manifest_(std::move(m)), dir_(std::move(data_dir)) {}

  const manifest& spec() const { return manifest_; }
  const std::filesystem::path& data_dir() const { return dir_; }

  std::filesystem::path path(const std::string& id) const {
    auto it = manifest_.files.find(id);
    MVG_CHECK(it != manifest_.files.end(), manifest_.path.string(), ": no file with id '", id, "'");
    const auto p = dir_ / it->second;
    MVG_CHECK(std::filesystem::exists(p), "benchmark data missing: ", p.string(),
              " (run scripts/fetch_data.sh, or point MVG_DATA_DIR at the folder it fills)");
    return p;
  }
  const nifti_image& nifti(const std::string& id) {
    return memo<nifti_image>("nifti:" + id, [&] { return read_nifti(path(id)); });
  }
  const inv3_project& inv3(const std::string& id) {
    return memo<inv3_project>("inv3:" + id, [&] { return read_inv3(path(id)); });
  }
  // Any derived value under a unique key, computed once (the lock is not held while computing, so
  // recipes may call back into the store).
  template <class T, class F>
  const T& memo(const std::string& key, F make) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = cache_.find(key); it != cache_.end()) return *std::any_cast<std::shared_ptr<T>>(it->second);
    }
    auto value = std::make_shared<T>(make());
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = cache_.emplace(key, std::move(value));
    return *std::any_cast<std::shared_ptr<T>>(it->second);
  }

private:
  manifest manifest_;
  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::string, std::any> cache_;
};

// What a recipe hands to the slicer.
struct labelled_volume {
  const xt::xarray<float>* image = nullptr;          // [0, 1], 3-D
  std::shared_ptr<const xt::xarray<std::int32_t>> labels;
  double slice_mm = 1.0;                              // spacing along the set's axis
  bool per_label = false;                             // one binary task per label id
  std::vector<std::string> classes;                   // multi-class: names incl. background
  std::map<std::int32_t, std::string> label_names;    // per-label: task names
  std::string description;
};

namespace detail {

inline bool is_inv3(const volume_store& s, const std::string& id) {
  const auto& rel = s.spec().files.at(id);
  return rel.size() > 5 && rel.compare(rel.size() - 5, 5, ".inv3") == 0;
}

inline const xt::xarray<float>& raw_image(volume_store& s, const std::string& id) {
  return is_inv3(s, id) ? s.inv3(id).matrix : s.nifti(id).data;
}

inline double slice_spacing(volume_store& s, const std::string& id, std::size_t axis) {
  if (is_inv3(s, id)) return s.inv3(id).spacing[2 - axis];  // (z, y, x) storage, spacing listed (x, y, z)
  return affine_spacing(s.nifti(id).affine)[axis];
}

inline const xt::xarray<float>& normalised_image(volume_store& s, const set_spec& spec) {
  const std::string& id = spec.get("image", s.spec().path.string());
  const std::string norm = spec.get("norm", s.spec().path.string());
  return s.memo<xt::xarray<float>>("norm:" + id + ":" + norm, [&]() -> xt::xarray<float> {
    const xt::xarray<float>& raw = raw_image(s, id);
    MVG_CHECK(raw.dimension() == 3, s.path(id).string(), ": expected a 3-D volume, got ", raw.dimension(), " dims");
    if (norm == "mri") return scale_mri(raw);
    if (norm.rfind("ct:", 0) == 0) {
      ct_window w;
      MVG_CHECK(std::sscanf(norm.c_str(), "ct:%f:%f", &w.lo, &w.hi) == 2 && w.hi > w.lo, s.spec().path.string(),
                ": set ", spec.name, ": norm=", norm, " is not ct:<lo>:<hi>");
      return apply_window(raw, w);
    }
    ::mvg::detail::fail(s.spec().path.string(), ": set ", spec.name, ": unknown norm '", norm, "' (mri or ct:<lo>:<hi>)");
  });
}

// A NIfTI label file on the image's grid, as int32 ids.
inline std::shared_ptr<const xt::xarray<std::int32_t>> nifti_labels(volume_store& s, const set_spec& spec) {
  const std::string& img = spec.get("image", s.spec().path.string());
  const std::string& lab = spec.get("labels", s.spec().path.string());
  const nifti_image& a = s.nifti(img);
  const nifti_image& b = s.nifti(lab);
  MVG_CHECK(a.data.shape() == b.data.shape(), s.path(lab).string(), ": label grid differs in shape from ",
            s.path(img).string());
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      MVG_CHECK(std::abs(a.affine[r][c] - b.affine[r][c]) < 1e-3, s.path(lab).string(),
                ": label affine differs from ", s.path(img).string());
  auto out = std::make_shared<xt::xarray<std::int32_t>>(xt::xarray<std::int32_t>::from_shape(b.data.shape()));
  for (std::size_t i = 0; i < b.data.size(); ++i) {
    const float v = b.data.data()[i];
    MVG_CHECK(v == std::nearbyint(v) && v >= 0 && v < 1e6f, s.path(lab).string(), ": voxel ", i, " holds ", v,
              ", not a label id");
    out->data()[i] = static_cast<std::int32_t>(v);
  }
  return out;
}

inline std::shared_ptr<const xt::xarray<std::int32_t>> from_mask(const mask3d& m) {
  auto out = std::make_shared<xt::xarray<std::int32_t>>(xt::xarray<std::int32_t>::from_shape(m.shape()));
  std::copy(m.begin(), m.end(), out->begin());
  return out;
}

// Cranium: head = largest 3-D component of mask_1 (tissue), holes filled per axial slice.
inline const mask3d& cranium_head(volume_store& s, const std::string& id) {
  return s.memo<mask3d>("head:" + id, [&] {
    const auto& p = s.inv3(id);
    MVG_CHECK(p.masks.size() >= 2, s.path(id).string(), ": expected mask_0 (bone) and mask_1 (tissue), found ",
              p.masks.size(), " masks");
    return fill_holes_2d(largest_component(p.masks[1].data), 0);
  });
}

}  // namespace detail

inline labelled_volume make_labelled_volume(volume_store& s, const set_spec& spec) {
  const std::string mf = s.spec().path.string();
  const std::string& task = spec.get("task", mf);
  const std::size_t axis = detail::manifest_uint(spec.get("axis", mf), mf + ": set " + spec.name + " axis");
  MVG_CHECK(axis < 3, mf, ": line ", spec.line, ": axis must be 0, 1 or 2");
  labelled_volume v;
  v.image = &detail::normalised_image(s, spec);
  v.slice_mm = detail::slice_spacing(s, spec.get("image", mf), axis);
  const std::string cls = spec.get_or("class", "foreground");

  if (task == "mask") {
    const int threshold = static_cast<int>(detail::manifest_uint(spec.get_or("threshold", "1"), mf));
    const bool largest = spec.get_or("largest", "0") == "1";
    const auto ids = detail::nifti_labels(s, spec);
    mask3d m = mask3d::from_shape(ids->shape());
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = ids->data()[i] >= threshold;
    v.labels = detail::from_mask(largest ? largest_component(m) : m);
    v.classes = {"background", cls};
    v.description = "binary mask: labels >= " + std::to_string(threshold) + (largest ? ", largest 3-D component" : "");
  } else if (task == "aal-lobes") {
    // AAL voxels hold indices; the code's thousands digit is the lobe (2 frontal … 9 cerebellum).
    const auto table = read_label_table(s.path(spec.get("table", mf)));
    std::map<int, int> lobe;
    for (const auto& e : table) {
      MVG_CHECK(e.code >= 2000 && e.code < 10000, s.path(spec.get("table", mf)).string(), ": code ", e.code,
                " of index ", e.index, " has no lobe digit 2..9");
      lobe[e.index] = e.code / 1000 - 1;
    }
    auto ids = detail::nifti_labels(s, spec);
    auto out = std::make_shared<xt::xarray<std::int32_t>>(*ids);
    for (auto& x : *out) {
      if (x == 0) continue;
      auto it = lobe.find(x);
      MVG_CHECK(it != lobe.end(), s.path(spec.get("labels", mf)).string(), ": index ", x, " is not in the table");
      x = it->second;
    }
    v.labels = out;
    v.classes = {"background", "frontal", "insula", "limbic", "occipital", "parietal", "deep-grey", "temporal",
                 "cerebellum"};
    v.description = "8 AAL lobes (code / 1000)";
  } else if (task == "per-label" || task == "per-label-paired") {
    auto ids = detail::nifti_labels(s, spec);
    if (task == "per-label-paired") {
      auto merged = std::make_shared<xt::xarray<std::int32_t>>(*ids);
      for (auto& x : *merged) x = x > 1000 ? x - 1000 : x;
      ids = merged;
    }
    v.labels = ids;
    v.per_label = true;
    std::map<std::int32_t, std::string> names;
    if (spec.keys.count("table"))
      for (const auto& e : read_label_table(s.path(spec.get("table", mf)))) names[e.index] = e.name;
    const std::string prefix = spec.get_or("prefix", task == "per-label-paired" ? "parcel_" : "label_");
    for (auto x : *ids)
      if (x > 0 && !v.label_names.count(x)) v.label_names[x] = names.count(x) ? names[x] : prefix + std::to_string(x);
    v.description = task == "per-label" ? "one binary task per atlas label"
                                        : "one binary task per parcel (ids i and i+1000 merged across hemispheres)";
  } else if (task == "hemispheres") {
    auto ids = detail::nifti_labels(s, spec);
    auto out = std::make_shared<xt::xarray<std::int32_t>>(*ids);
    for (auto& x : *out) x = x == 0 ? 0 : (x < 1000 ? 1 : 2);
    v.labels = out;
    v.classes = {"background", "left", "right"};
    v.description = "hemispheres: ids 1-999 left, 1000+ right";
  } else if (task == "cranium-head" || task == "cranium-bone") {
    const std::string& id = spec.get("labels", mf);
    const mask3d& head = detail::cranium_head(s, id);
    MVG_CHECK(head.shape() == v.image->shape(), s.path(id).string(), ": masks do not match the matrix shape");
    if (task == "cranium-head") {
      v.labels = detail::from_mask(head);
      v.classes = {"background", "head"};
      v.description = "head: largest 3-D component of mask_1 (HU >= -142), holes filled per slice";
    } else {
      mask3d bone = s.inv3(id).masks[0].data;
      for (std::size_t i = 0; i < bone.size(); ++i) bone.data()[i] &= head.data()[i];
      v.labels = detail::from_mask(bone);
      v.classes = {"background", "bone"};
      v.description = "bone: mask_0 (HU >= 226) inside the head mask";
    }
  } else {
    ::mvg::detail::fail(mf, ": line ", spec.line, ": set ", spec.name, ": unknown task recipe '", task, "'");
  }
  MVG_CHECK(v.labels->shape() == v.image->shape(), mf, ": set ", spec.name, ": labels and image differ in shape");
  return v;
}

}  // namespace mvg::data
