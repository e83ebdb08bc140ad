// examples/common/infer_io.hpp: mvg_infer's inputs and outputs.
// Inputs are PNG/JPG images (grey; an RGB file is converted to grey) or NIfTI volumes (.nii, .nii.gz).
//   - images are intensities in [0, 1] (8-bit / 255, 16-bit / 65535); NIfTI images are scaled per volume by their
//     0.5–99.5 percentiles (SPEC §6, MRI) or by a CT window (--intensity ct:LO:HI);
//   - labels are class ids: the pixel values of a PNG, the voxel values of a NIfTI volume (0..255);
//   - every input must have the query's size (a 2-D image) or its in-plane size (volumes); each
//     slice is padded to a square and resized to the model's canvas, and the prediction is mapped
//     back to the query's grid (nearest for class maps, bilinear for images).
// Outputs: .png (8-bit: class ids for segmentation, intensity × 255 clamped to 0..255 otherwise) or
// .nii/.nii.gz (uint8 class ids, or the raw float32 prediction, unclamped), with the query's header
// geometry (pixdim, qform, sform and their codes), written atomically; --picture adds a grid.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <mvg/data/prep/geometry.hpp>
#include <mvg/data/formats/image_io.hpp>
#include <mvg/data/prep/intensity.hpp>
#include <mvg/data/formats/nifti.hpp>

namespace example {

using gray = mvg::data::image2d<float>;
using labels = mvg::data::image2d<std::uint8_t>;

inline bool is_nifti(const std::string& p) {
  return p.size() > 4 && (p.ends_with(".nii") || p.ends_with(".nii.gz"));
}

// A stack of 2-D slices (a PNG is a stack of one) with what is needed to write results back.
struct stack {
  std::string path;
  std::vector<gray> slices;
  mvg::data::affine_matrix affine = mvg::data::identity_affine();
  mvg::data::nifti_geometry geometry = mvg::data::geometry_of_affine(mvg::data::identity_affine());
  bool volume = false;
  std::size_t h() const { return slices[0].shape()[0]; }
  std::size_t w() const { return slices[0].shape()[1]; }
};

// intensity: "none" (values as stored), "mri" (percentile scaling) or "ct:LO:HI" (HU window).
inline xt::xarray<float> scaled(const xt::xarray<float>& v, const std::string& intensity) {
  xt::xarray<float> s;
  if (intensity == "none") {
    s = v;
  } else if (intensity == "mri") {
    s = mvg::data::scale_mri(v);
  } else if (intensity.rfind("ct:", 0) == 0) {
    float lo = 0, hi = 0;
    MVG_CHECK(std::sscanf(intensity.c_str(), "ct:%f:%f", &lo, &hi) == 2 && lo < hi, "--intensity '", intensity,
              "': expected ct:LO:HI with LO < HI (HU)");
    s = mvg::data::apply_window(v, mvg::data::ct_window{lo, hi});
  } else {
    mvg::detail::fail("--intensity '", intensity, "': expected none, mri or ct:LO:HI");
  }
  return s;
}

// Every value is a class id in 0..255 (label maps are uint8 on the model's side); returns one past the
// largest. `what` names the value in the message ("label value", "voxel value").
template <class E>
std::size_t check_class_ids(const E& values, const std::string& path, const char* what) {
  std::size_t end = 0;
  for (auto x : values) {
    const double v = static_cast<double>(x);
    MVG_CHECK(v >= 0 && v <= 255 && v == std::floor(v), path, ": ", what, " ", x, " is not a class id in 0..255");
    end = std::max(end, static_cast<std::size_t>(v) + 1);
  }
  return end;
}

// Reads an image or volume; `as_labels` keeps the stored values (class ids, checked to be 0..255).
inline stack read_stack(const std::string& path, bool as_labels, const std::string& intensity) {
  MVG_CHECK(std::filesystem::is_regular_file(path), path, ": no such file");
  stack s;
  s.path = path;
  if (!is_nifti(path)) {
    if (!as_labels) {
      s.slices.push_back(mvg::data::read_image_gray(path));  // at full depth: 16-bit / 65535
      return s;
    }
    const auto ids = mvg::data::read_label_image(path);  // refuses colour, keeps 16-bit values
    gray g = gray::from_shape(ids.shape());
    check_class_ids(ids, path, "label value");
    for (std::size_t i = 0; i < g.size(); ++i) {
      g.data()[i] = float(ids.data()[i]);
    }
    s.slices.push_back(std::move(g));
    return s;
  }
  const auto n = mvg::data::read_nifti(path);
  MVG_CHECK(n.data.dimension() == 2 || n.data.dimension() == 3, path, ": expected a 2-D or 3-D volume, got ",
            n.data.dimension(), " dimensions");
  s.volume = true, s.affine = n.affine, s.geometry = n.geometry;
  xt::xarray<float> v = n.data;
  if (as_labels) {
    check_class_ids(v, path, "label value");
  } else {
    v = scaled(v, intensity);
  }
  const std::size_t depth = v.dimension() == 3 ? v.shape()[2] : 1;
  for (std::size_t z = 0; z < depth; ++z)
    s.slices.push_back(v.dimension() == 3 ? mvg::data::extract_slice<float>(v, 2, z)
                                          : gray(xt::xtensor<float, 2>(v)));
  return s;
}

// One slice onto the model's square canvas, and a prediction back onto the original grid.
inline gray to_canvas(const gray& g, std::size_t size) {
  return mvg::data::resize_bilinear(mvg::data::pad_to_square(g), size, size);
}
inline labels to_canvas(const labels& l, std::size_t size) {
  return mvg::data::resize_nearest(mvg::data::pad_to_square(l), size, size);
}
template <class T>
mvg::data::image2d<T> from_canvas(const mvg::data::image2d<T>& p, std::size_t h, std::size_t w) {
  const std::size_t n = std::max(h, w);
  mvg::data::image2d<T> sq;
  if constexpr (std::is_same_v<T, float>) sq = mvg::data::resize_bilinear(p, n, n);
  else sq = mvg::data::resize_nearest(p, n, n);
  return mvg::data::crop(sq, {(n - h) / 2, (n - w) / 2, h, w});
}

inline labels to_labels(const gray& g) {
  labels l = labels::from_shape(g.shape());
  for (std::size_t i = 0; i < g.size(); ++i) l.data()[i] = static_cast<std::uint8_t>(g.data()[i]);
  return l;
}

// Writes a stack of predictions like the query: PNG (8-bit) or NIfTI (class ids as uint8, images as
// float32), the NIfTI with the query's header geometry copied field for field.
inline void write_prediction(const std::string& path, const std::vector<gray>& slices, const stack& like,
                             bool class_map) {
  if (is_nifti(path)) {
    const std::size_t h = slices[0].shape()[0], w = slices[0].shape()[1];
    xt::xarray<float> v = xt::zeros<float>(like.volume && slices.size() > 1 ? std::vector<std::size_t>{h, w, slices.size()}
                                                                            : std::vector<std::size_t>{h, w});
    for (std::size_t z = 0; z < slices.size(); ++z)
      for (std::size_t r = 0; r < h; ++r)
        for (std::size_t c = 0; c < w; ++c) v.data()[(r * w + c) * (v.dimension() == 3 ? slices.size() : 1) + z] = slices[z](r, c);
    mvg::data::write_nifti(path, v, like.geometry, class_map ? mvg::data::nifti_dtype::uint8 : mvg::data::nifti_dtype::float32);
    return;
  }
  MVG_CHECK(slices.size() == 1, path, ": a ", slices.size(), "-slice volume needs a .nii or .nii.gz output");
  MVG_CHECK(path.ends_with(".png"), path, ": output must end in .png, .nii or .nii.gz");
  if (class_map) {
    xt::xtensor<std::uint8_t, 3> u8 = xt::xtensor<std::uint8_t, 3>::from_shape({slices[0].shape()[0], slices[0].shape()[1], 1});
    for (std::size_t i = 0; i < slices[0].size(); ++i) u8.data()[i] = static_cast<std::uint8_t>(slices[0].data()[i]);
    mvg::data::write_png(path, u8);
  } else {
    mvg::data::write_png(path, slices[0]);
  }
}

}  // namespace example
