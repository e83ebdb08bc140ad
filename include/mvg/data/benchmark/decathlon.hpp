// mvg/data/benchmark/decathlon.hpp: a user's own segmentation dataset, in the layout nnU-Net and MONAI
// users already have: the Medical Segmentation Decathlon / nnU-Net raw format (dataset.json, imagesTr/,
// labelsTr/, imagesTs/; NIfTI volumes), turned into one benchmark_set the trainer samples like any other.
// Contract (read_decathlon): dataset.json gives the modality ("modality" of MSD or "channel_names" of
// nnU-Net v2; channel "0" is used), the classes ("labels": MSD's {"0": "background", "1": "liver"} or
// v2's {"background": 0, "liver": 1}; ids 0..255) and the cases (MSD's "training" / "test" lists, or,
// without them, the files of labelsTr/ and imagesTs/ with v2's "<case>_0000" image names). Hidden files
// ("._x.nii.gz", left by macOS) are skipped. Every failure names dataset.json or the file and the field.
// Contract (load_decathlon_set): subjects are split by a committed rule: a subject whose id hashes
// (FNV-1a, 64 bit) to 0 modulo validation_every is a validation subject, unless fewer than two training
// subjects would remain (then every subject trains). Slices are taken along `axis`; a slice enters when
// its foreground (any class) covers at least min_fg_fraction of it and min_fg_pixels pixels, and a class
// task takes it when that class alone does. Intensity follows the modality as SPEC §6 says: CT through
// the soft-tissue window [-100, 200] HU, anything else per-volume 0.5–99.5 percentiles. A 4-D image
// (several channels) uses its first channel. A label volume whose shape or affine differs from its
// image's is an error. Tasks: one binary task per foreground class, and one multi-class task named
// after the set when there are 2..16 foreground classes (random coloring's palette has 16 levels).
// Validation subjects' slices are the tasks' test split; training subjects' slices their training
// split and the prompt pool for every query (prompts come from other subjects: data/prompts.hpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/data/formats/nifti.hpp"
#include "mvg/data/prep/geometry.hpp"
#include "mvg/data/prep/intensity.hpp"

namespace mvg::data {

struct decathlon_case {
  std::string id;                    // the file name without extension (and without v2's _0000)
  std::filesystem::path image, label;
};

struct decathlon_dataset {
  std::filesystem::path root;
  std::string name;                  // the folder's name: set names must be unique across datasets
  std::string modality;              // as dataset.json says, e.g. "CT", "MRI", "T2"
  std::vector<std::string> classes;  // index = label value; [0] = background
  std::vector<decathlon_case> training;
  std::vector<std::filesystem::path> test;  // imagesTs (no labels)
  bool is_ct() const { return modality == "CT" || modality == "ct"; }
};

struct decathlon_options {
  std::size_t image_size = 64;
  std::size_t axis = 2;
  std::size_t validation_every = 5;
  double min_fg_fraction = 0.001;
  std::size_t min_fg_pixels = 16;
};

namespace detail {

inline std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

inline std::string nifti_stem(const std::filesystem::path& p) {
  std::string n = p.filename().string();
  for (const char* ext : {".nii.gz", ".nii"})
    if (n.size() > std::string(ext).size() && n.ends_with(ext)) return n.substr(0, n.size() - std::string(ext).size());
  return n;
}

inline bool is_nifti_file(const std::filesystem::path& p) {
  const std::string n = p.filename().string();
  return !n.starts_with(".") && (n.ends_with(".nii.gz") || n.ends_with(".nii")) && std::filesystem::is_regular_file(p);
}

inline std::vector<std::filesystem::path> nifti_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (is_nifti_file(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A path of dataset.json ("./imagesTr/x.nii.gz"), resolved against the dataset folder and checked.
inline std::filesystem::path dataset_file(const std::filesystem::path& root, const nlohmann::json& v,
                                          const std::string& where) {
  MVG_CHECK(v.is_string(), where, " is not a file name");
  const std::string rel = v.get<std::string>();
  MVG_CHECK(!rel.empty() && rel[0] != '/' && rel.find("..") == std::string::npos, where, " = '", rel,
            "' must be a path inside the dataset folder");
  const auto p = (root / rel).lexically_normal();
  MVG_CHECK(std::filesystem::is_regular_file(p), where, " = '", rel, "': no such file ", p.string());
  return p;
}

// Spatial shape and affine agree (labels drawn on another grid would train on misplaced voxels).
inline void check_same_geometry(const nifti_image& label, const std::string& label_name, const nifti_image& image,
                                const std::string& image_name) {
  const auto& ls = label.data.shape();
  const auto& is = image.data.shape();
  bool same = ls.size() >= 3 && is.size() >= 3;
  for (std::size_t d = 0; same && d < 3; ++d) same = ls[d] == is[d];
  auto shape = [](const auto& s) {
    std::string t;
    for (auto n : s) t += (t.empty() ? "" : "×") + std::to_string(n);
    return t;
  };
  MVG_CHECK(same && ls.size() == 3, label_name, ": label volume is ", shape(ls), " but its image ", image_name,
            " is ", shape(is), ": a label must be one 3-D volume on its image's voxel grid");
  const auto [r, c] = affine_difference(label.affine, image.affine);
  MVG_CHECK(r < 0, label_name, ": affine element (", r, ",", c, ") is ", r < 0 ? 0.0 : label.affine[r][c],
            " but its image ", image_name, " has ", r < 0 ? 0.0 : image.affine[r][c], ": the label lies on another grid");
}

// The first channel of a 3-D or 4-D image, as a 3-D volume.
inline xt::xarray<float> first_channel(const nifti_image& img, const std::string& name) {
  const auto& s = img.data.shape();
  MVG_CHECK(s.size() == 3 || s.size() == 4, name, ": expected a 3-D volume (or 4-D with channels last), got ",
            s.size(), " dimensions");
  if (s.size() == 3) return img.data;
  xt::xarray<float> v = xt::xarray<float>::from_shape({s[0], s[1], s[2]});
  const std::size_t c = s[3];
  for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = img.data.data()[i * c];
  return v;
}

}  // namespace detail

inline decathlon_dataset read_decathlon(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path json_path = dir / "dataset.json";
  MVG_CHECK(fs::is_directory(dir), dir.string(), ": no such dataset folder");
  MVG_CHECK(fs::is_regular_file(json_path), json_path.string(),
            ": missing (a Decathlon / nnU-Net dataset folder holds dataset.json, imagesTr/, labelsTr/)");
  const std::string jn = json_path.string();
  nlohmann::json j;
  try {
    std::ifstream in(json_path);
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    ::mvg::detail::fail(jn, ": not valid JSON (", e.what(), ")");
  }
  MVG_CHECK(j.is_object(), jn, ": expected a JSON object");
  decathlon_dataset d;
  d.root = fs::absolute(dir).lexically_normal();
  d.name = d.root.filename().string();
  if (d.name.empty()) d.name = d.root.parent_path().filename().string();

  const char* mod_key = j.contains("modality") ? "modality" : "channel_names";
  MVG_CHECK(j.contains(mod_key) && j[mod_key].is_object() && j[mod_key].contains("0") && j[mod_key]["0"].is_string(),
            jn, ": field 'modality' (or nnU-Net v2's 'channel_names') must map \"0\" to a modality such as \"CT\"");
  d.modality = j[mod_key]["0"].get<std::string>();

  MVG_CHECK(j.contains("labels") && j["labels"].is_object() && !j["labels"].empty(), jn,
            ": field 'labels' must be an object of class ids and names");
  std::map<int, std::string> names;
  for (const auto& [k, v] : j["labels"].items()) {
    int id = -1;
    std::string name;
    if (v.is_string()) {  // MSD: "1": "liver"
      std::size_t used = 0;
      try {
        id = std::stoi(k, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      MVG_CHECK(used == k.size(), jn, ": field 'labels': key '", k, "' is not a class id");
      name = v.get<std::string>();
    } else if (v.is_number_integer()) {  // nnU-Net v2: "liver": 1
      id = v.get<int>(), name = k;
    } else {
      ::mvg::detail::fail(jn, ": field 'labels': '", k, "' maps to ", v.dump(),
                          "; expected a class id (region lists of nnU-Net v2 are not supported)");
    }
    MVG_CHECK(id >= 0 && id <= 255, jn, ": field 'labels': class id ", id, " outside 0..255");
    MVG_CHECK(names.emplace(id, name).second, jn, ": field 'labels': class id ", id, " appears twice");
  }
  MVG_CHECK(names.size() >= 2, jn, ": field 'labels' needs background and at least one class");
  d.classes.assign(static_cast<std::size_t>(names.rbegin()->first) + 1, "");
  for (std::size_t i = 0; i < d.classes.size(); ++i) d.classes[i] = "class " + std::to_string(i);
  for (const auto& [id, name] : names) d.classes[static_cast<std::size_t>(id)] = name;

  if (j.contains("training")) {
    MVG_CHECK(j["training"].is_array(), jn, ": field 'training' must be a list");
    for (std::size_t i = 0; i < j["training"].size(); ++i) {
      const auto& e = j["training"][i];
      const std::string where = jn + ": training[" + std::to_string(i) + "]";
      MVG_CHECK(e.is_object() && e.contains("image") && e.contains("label"), where,
                " must be an object with 'image' and 'label'");
      decathlon_case c;
      c.image = detail::dataset_file(d.root, e["image"], where + ".image");
      c.label = detail::dataset_file(d.root, e["label"], where + ".label");
      c.id = detail::nifti_stem(c.label);
      d.training.push_back(std::move(c));
    }
  } else {  // nnU-Net v2: labelsTr/<case>.nii.gz ↔ imagesTr/<case>_0000.nii.gz
    const std::string ending = j.value("file_ending", std::string(".nii.gz"));
    for (const auto& l : detail::nifti_files(d.root / "labelsTr")) {
      decathlon_case c;
      c.id = detail::nifti_stem(l), c.label = l;
      c.image = d.root / "imagesTr" / (c.id + "_0000" + ending);
      if (!fs::exists(c.image)) c.image = d.root / "imagesTr" / (c.id + ending);
      MVG_CHECK(fs::is_regular_file(c.image), l.string(), ": no image imagesTr/", c.id, "_0000", ending, " for this label");
      d.training.push_back(std::move(c));
    }
  }
  MVG_CHECK(!d.training.empty(), jn, ": no training case (field 'training' or files in labelsTr/)");
  if (j.contains("test") && j["test"].is_array()) {
    for (std::size_t i = 0; i < j["test"].size(); ++i) {
      const auto& e = j["test"][i];
      const std::string where = jn + ": test[" + std::to_string(i) + "]";
      d.test.push_back(detail::dataset_file(d.root, e.is_object() && e.contains("image") ? e["image"] : e, where));
    }
  } else {
    d.test = detail::nifti_files(d.root / "imagesTs");
  }
  return d;
}

// The image volume of a case (or a test image) scaled to [0, 1] as its modality asks.
inline xt::xarray<float> decathlon_intensity(const decathlon_dataset& d, const xt::xarray<float>& v) {
  return d.is_ct() ? apply_window(v, soft_tissue_window) : scale_mri(v);
}

// Which training subjects the committed rule sets aside for validation (see the contract).
inline std::vector<bool> decathlon_validation(const decathlon_dataset& d, std::size_t every) {
  std::vector<bool> val(d.training.size(), false);
  if (every == 0) return val;
  std::size_t n = 0;
  for (std::size_t i = 0; i < val.size(); ++i) n += val[i] = detail::fnv1a(d.training[i].id) % every == 0;
  if (d.training.size() - n < 2) std::fill(val.begin(), val.end(), false);
  return val;
}

inline benchmark_set load_decathlon_set(const decathlon_dataset& d, const decathlon_options& o = {}) {
  MVG_CHECK(o.axis < 3, d.name, ": slice axis ", o.axis, " must be 0, 1 or 2");
  benchmark_set set;
  set.name = d.name;
  set.recipe = "decathlon";
  set.axis = o.axis;
  set.image_size = o.image_size;
  const std::size_t fg_classes = d.classes.size() - 1;
  const bool multi = fg_classes >= 2 && fg_classes <= 16;
  for (std::size_t c = 1; c < d.classes.size(); ++c) {
    seg_task t;
    t.name = d.classes[c];
    t.source_label = static_cast<std::int32_t>(c);
    t.classes = {"background", d.classes[c]};
    set.tasks.push_back(std::move(t));
  }
  if (multi) {
    seg_task t;
    t.name = d.name;
    t.classes = d.classes;
    set.tasks.push_back(std::move(t));
  }
  const auto validation = decathlon_validation(d, o.validation_every);
  std::size_t n_val = 0;
  for (std::size_t i = 0; i < d.training.size(); ++i) {
    const auto& c = d.training[i];
    const auto img = read_nifti(c.image);
    const auto lab = read_nifti(c.label);
    detail::check_same_geometry(lab, c.label.string(), img, c.image.string());
    const xt::xarray<float> vol = decathlon_intensity(d, detail::first_channel(img, c.image.string()));
    for (float x : lab.data)
      MVG_CHECK(x >= 0 && x == std::floor(x) && x < static_cast<float>(d.classes.size()), c.label.string(),
                ": voxel value ", x, " is not a class of dataset.json's 'labels' (0..", d.classes.size() - 1, ")");
    if (i == 0) set.slice_mm = img.spacing.size() > o.axis ? img.spacing[o.axis] : 1.0;
    set.volumes.push_back(c.id);
    set.volume_depth.push_back(vol.shape()[o.axis]);
    n_val += validation[i];
    for (std::size_t z = 0; z < vol.shape()[o.axis]; ++z) {
      const image2d<std::int32_t> native = extract_slice<std::int32_t>(lab.data, o.axis, z);
      const std::size_t need =
          std::max(o.min_fg_pixels, static_cast<std::size_t>(std::ceil(o.min_fg_fraction * double(native.size()))));
      std::vector<std::size_t> count(d.classes.size(), 0);
      for (auto x : native) ++count[static_cast<std::size_t>(x)];
      const std::size_t fg = native.size() - count[0];
      if (fg < need) continue;
      const image2d<std::int32_t> resized = detail::canvas(native, false, o.image_size, true);
      set.images.push_back(detail::canvas(extract_slice<float>(vol, o.axis, z), false, o.image_size, false));
      set.image_slice.push_back(z);
      auto add = [&](seg_task& t, std::size_t foreground, bool binary) {
        seg_sample s;
        s.image = set.images.size() - 1, s.volume = i, s.slice = z, s.foreground = foreground;
        s.label = image2d<std::uint8_t>::from_shape({o.image_size, o.image_size});
        for (std::size_t p = 0; p < resized.size(); ++p) {
          const std::int32_t x = resized.data()[p];
          s.label.data()[p] = static_cast<std::uint8_t>(binary ? (x == t.source_label ? 1 : 0) : x);
        }
        (validation[i] ? t.test : t.train).push_back(std::move(s));
      };
      for (std::size_t c2 = 1; c2 < d.classes.size(); ++c2)
        if (count[c2] >= need) add(set.tasks[c2 - 1], count[c2], true);
      if (multi) add(set.tasks.back(), fg, false);
    }
  }
  std::erase_if(set.tasks, [](const seg_task& t) { return t.train.empty(); });
  MVG_CHECK(!set.tasks.empty(), d.root.string(), ": no training slice has foreground on ", o.min_fg_pixels,
            "+ pixels and ", o.min_fg_fraction * 100, "% of the slice along axis ", o.axis);
  set.description = d.name + " (" + d.modality + "): " + std::to_string(d.training.size() - n_val) +
                    " training and " + std::to_string(n_val) + " validation subjects, slices along axis " +
                    std::to_string(o.axis);
  return set;
}

}  // namespace mvg::data
