// examples/common/folder_inference.hpp: mvg_infer's folder mode. The support is a Decathlon / nnU-Net
// raw folder whose imagesTr/labelsTr pairs are the prompts; the queries are a folder of volumes.
// Prompts per query slice: the paper's slice-position rule across volumes (query slice z of N takes
// slice floor(z·M/N) of each M-slice support subject), then retrieval among those aligned slices (the
// `prompts` subjects whose slice correlates best with the query's). Only the canvases of the support
// (image_size² per slice) are kept, so a large support costs little memory.
// Outputs: one integer label volume per query, named like the query (nnU-Net's "_0000" channel suffix
// dropped), with the query's header geometry copied field for field (pixdim, qform, sform and codes).
// With a labels folder: metrics.csv, Dice and IoU per case and class over the whole volume.
#pragma once
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <mvg/data/benchmark/decathlon.hpp>
#include <mvg/data/prompts.hpp>
#include <mvg/eval/segmentation.hpp>
#include <mvg/io/atomic_file.hpp>
#include <mvg/objectives/inference.hpp>

#include "common/infer_io.hpp"

namespace example {

struct folder_options {
  std::string support, queries, out, labels_dir;
  std::size_t prompts = 1, axis = 2;
  mvg::objectives::coloring_scheme coloring = mvg::objectives::coloring_scheme::random;
  bool one_class_per_pass = false;  // random coloring, one pass per class (mvg_infer --coloring per-class)
  mvg::objectives::inference_mode mode = mvg::objectives::inference_mode::autoregressive;
  std::uint64_t seed = 0;
};

// One subject of the support, as canvases.
struct support_subject {
  std::vector<gray> images;
  std::vector<example::labels> label_maps;
};

// The name a query's prediction takes: the query's, without nnU-Net's channel suffix.
inline std::string prediction_name(const std::filesystem::path& query) {
  std::string stem = mvg::data::detail::nifti_stem(query);
  const std::string ext = query.filename().string().substr(stem.size());
  if (stem.size() > 5 && stem.ends_with("_0000")) stem.resize(stem.size() - 5);
  return stem + ext;
}

inline std::vector<support_subject> load_support(const mvg::data::decathlon_dataset& d, std::size_t axis,
                                                 std::size_t size) {
  std::vector<support_subject> out;
  for (const auto& c : d.training) {
    const auto img = mvg::data::read_nifti(c.image);
    const auto lab = mvg::data::read_nifti(c.label);
    mvg::data::detail::check_same_geometry(lab, c.label.string(), img, c.image.string());
    check_class_ids(lab.data, c.label.string(), "voxel value");
    const auto vol = mvg::data::decathlon_intensity(d, mvg::data::detail::first_channel(img, c.image.string()));
    support_subject s;
    for (std::size_t z = 0; z < vol.shape()[axis]; ++z) {
      s.images.push_back(to_canvas(mvg::data::extract_slice<float>(vol, axis, z), size));
      const auto l = mvg::data::extract_slice<float>(lab.data, axis, z);
      s.label_maps.push_back(to_canvas(to_labels(l), size));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Per class of one case: Dice and IoU over the volume (NaN when the class is in neither volume).
inline std::string metrics_rows(const std::string& id, const mvg::eval::confusion_matrix& cm,
                                const std::vector<std::string>& classes) {
  std::string rows;
  char buf[256];
  for (std::size_t c = 1; c < cm.classes(); ++c) {
    const std::string name = c < classes.size() ? classes[c] : "class " + std::to_string(c);
    std::snprintf(buf, sizeof buf, "%s,%zu,%s,%.6f,%.6f\n", id.c_str(), c, name.c_str(), cm.dice(c), cm.iou(c));
    rows += buf;
  }
  return rows;
}

template <class Model>
void infer_folder(const Model& net, const folder_options& o) {
  namespace fs = std::filesystem;
  constexpr std::size_t n = Model::cfg.image_size;
  const auto d = mvg::data::read_decathlon(o.support);
  MVG_CHECK(fs::is_directory(o.queries), o.queries, ": no such query folder");
  const auto queries = mvg::data::detail::nifti_files(o.queries);
  MVG_CHECK(!queries.empty(), o.queries, ": no NIfTI volume (.nii, .nii.gz) to segment");
  MVG_CHECK(o.out.empty() || !fs::exists(o.out) || fs::is_directory(o.out), o.out, ": exists and is not a folder");
  // Every query's truth is found and checked before the first prediction, not after an hour of them.
  std::vector<fs::path> truths;
  for (const auto& q : queries) {
    if (o.labels_dir.empty()) break;
    fs::path t = fs::path(o.labels_dir) / prediction_name(q);
    if (!fs::exists(t)) t = fs::path(o.labels_dir) / q.filename();
    MVG_CHECK(fs::is_regular_file(t), o.labels_dir, ": no label volume for query ", q.filename().string(),
              " (expected ", prediction_name(q), ")");
    truths.push_back(t);
  }
  std::printf("support %s: %zu subjects (%s); %zu queries\n", d.name.c_str(), d.training.size(), d.modality.c_str(),
              queries.size());
  const auto support = load_support(d, o.axis, n);
  fs::create_directories(o.out);
  mvg::rng g(o.seed);
  std::string csv = "case,class_id,class,dice,iou\n";
  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    const auto& qp = queries[qi];
    const auto img = mvg::data::read_nifti(qp);
    const auto vol = mvg::data::decathlon_intensity(d, mvg::data::detail::first_channel(img, qp.string()));
    const std::size_t depth = vol.shape()[o.axis];
    std::vector<labels> pred;
    for (std::size_t z = 0; z < depth; ++z) {
      const gray native = mvg::data::extract_slice<float>(vol, o.axis, z);
      const gray q = to_canvas(native, n);
      std::vector<const mvg::data::image2d<float>*> aligned;
      std::vector<std::size_t> slice_of;
      for (const auto& s : support) {
        slice_of.push_back(mvg::data::position_prompt(z, depth, s.images.size()));
        aligned.push_back(&s.images[slice_of.back()]);
      }
      std::vector<gray> pi;
      std::vector<labels> pl;
      for (std::size_t k : mvg::data::most_similar(aligned, q, o.prompts))
        pi.push_back(support[k].images[slice_of[k]]), pl.push_back(support[k].label_maps[slice_of[k]]);
      const auto map = mvg::objectives::segment(net, pi, pl, q, o.coloring, g, o.mode, o.one_class_per_pass);
      pred.push_back(from_canvas(map, native.shape()[0], native.shape()[1]));
    }
    // Back into the query's voxel order: slice z along the axis.
    const auto& s = vol.shape();
    xt::xarray<float> out = xt::zeros<float>({s[0], s[1], s[2]});
    const std::size_t st[3] = {s[1] * s[2], s[2], 1}, a = o.axis == 0 ? 1 : 0, b = o.axis == 2 ? 1 : 2;
    for (std::size_t z = 0; z < depth; ++z)
      for (std::size_t r = 0; r < s[a]; ++r)
        for (std::size_t c = 0; c < s[b]; ++c) out.data()[z * st[o.axis] + r * st[a] + c * st[b]] = pred[z](r, c);
    const fs::path dst = fs::path(o.out) / prediction_name(qp);
    mvg::data::write_nifti(dst, out, img.geometry, mvg::data::nifti_dtype::uint8);
    std::printf("wrote %s (%zu slices)\n", dst.c_str(), depth);
    if (truths.empty()) continue;
    const auto truth = mvg::data::read_nifti(truths[qi]);
    mvg::data::detail::check_same_geometry(truth, truths[qi].string(), img, qp.string());
    const std::size_t classes =
        std::max(d.classes.size(), check_class_ids(truth.data, truths[qi].string(), "voxel value"));
    mvg::eval::confusion_matrix cm{classes};
    cm.add(out, truth.data);  // both in the query's voxel order
    csv += metrics_rows(mvg::data::detail::nifti_stem(fs::path(prediction_name(qp))), cm, d.classes);
    std::printf("  against %s: Dice %.4f, IoU %.4f (mean over classes present)\n", truths[qi].c_str(), cm.mean_dice(),
                cm.mean_iou());
  }
  if (!truths.empty()) {
    mvg::io::write_file_atomically((fs::path(o.out) / "metrics.csv").string(), csv);
    std::printf("wrote %s\n", (fs::path(o.out) / "metrics.csv").c_str());
  }
}

}  // namespace example
