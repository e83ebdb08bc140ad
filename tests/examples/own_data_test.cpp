// Issue 27's done-when, as a user does it: a Decathlon-format folder built from the bundled scans (ch2
// and the ITK head as training subjects with their brain masks as labels, INIA19 as the held-out subject
// in imagesTs), a few steps of `mvg_train --dataset`, then folder inference with `mvg_infer --support
// --queries --labels`: one integer label volume per query with the query's header geometry, and a
// per-case metrics.csv. Bad datasets fail with one line naming the file.
#include "common/model_choice.hpp"
#include "examples/support.hpp"

#include <mvg/data/formats/nifti.hpp>

namespace fs = std::filesystem;
using mvg_test::run;

namespace {

// Every second voxel of a volume (a quick dataset; the geometry fields are copied, not recomputed).
xt::xarray<float> half(const xt::xarray<float>& v) {
  const auto& s = v.shape();
  xt::xarray<float> out = xt::xarray<float>::from_shape({(s[0] + 1) / 2, (s[1] + 1) / 2, (s[2] + 1) / 2});
  for (std::size_t i = 0; i < out.shape()[0]; ++i)
    for (std::size_t j = 0; j < out.shape()[1]; ++j)
      for (std::size_t k = 0; k < out.shape()[2]; ++k) out(i, j, k) = v(2 * i, 2 * j, 2 * k);
  return out;
}

// A header no writer would produce by default: qform and sform both set, a rotation, qfac -1.
mvg::data::nifti_geometry odd_geometry() {
  mvg::data::nifti_geometry g;
  g.pixdim = {-1.f, 2.f, 2.f, 2.f, 1.f, 1.f, 1.f, 1.f};
  g.qform_code = 1, g.sform_code = 4;
  g.quatern = {0.f, 0.f, 0.70710678f, -90.f, 126.f, -72.f};
  g.srow = {{{0.f, -2.f, 0.f, 126.f}, {2.f, 0.f, 0.f, -90.f}, {0.f, 0.f, -2.f, -72.f}}};
  g.xyzt_units = 2;
  return g;
}

struct subject {
  std::string id, image, mask;  // mask: a skull-stripped image whose non-zero voxels are the brain
};

// imagesTr/labelsTr for ch2 and the ITK head, imagesTs + labelsTs (for --labels) for INIA19; with
// `inia_trains`, INIA19 is a third training subject, and the committed split makes ch2 (FNV-1a 0 mod 5)
// a validation subject.
fs::path make_dataset(const fs::path& root, bool inia_trains = false) {
  const std::vector<subject> train = {
      {"ch2", "mricron-data/usr/share/mricron/templates/ch2.nii.gz",
       "mricron-data/usr/share/mricron/templates/ch2bet.nii.gz"},
      {"itkhead", "insighttoolkit5-examples/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz",
       "insighttoolkit5-examples/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1RawSkullStrip.nii.gz"}};
  const subject test{"inia", "mricron-data/usr/share/mricron/templates/inia19-t1-brain.nii.gz",
                     "mricron-data/usr/share/mricron/templates/inia19-t1-brain.nii.gz"};
  const fs::path ds = root / "Dataset001_Brain";
  for (const char* d : {"imagesTr", "labelsTr", "imagesTs", "labelsTs"}) fs::create_directories(ds / d);
  auto write = [&](const subject& s, const char* images, const char* labels, const mvg::data::nifti_geometry& geo) {
    const auto img = half(mvg::data::read_nifti(mvg_test::data_file(s.image)).data);
    xt::xarray<float> mask = half(mvg::data::read_nifti(mvg_test::data_file(s.mask)).data);
    REQUIRE(mask.shape() == img.shape());
    for (auto& v : mask) v = v > 0 ? 1.f : 0.f;
    mvg::data::write_nifti(ds / images / (s.id + ".nii.gz"), img, geo);
    mvg::data::write_nifti(ds / labels / (s.id + ".nii.gz"), mask, geo, mvg::data::nifti_dtype::uint8);
  };
  for (const auto& s : train) write(s, "imagesTr", "labelsTr", mvg::data::geometry_of_affine(mvg::data::identity_affine()));
  write(test, "imagesTs", "labelsTs", odd_geometry());
  if (inia_trains) {
    write(test, "imagesTr", "labelsTr", odd_geometry());
    std::ofstream(ds / "dataset.json") << R"({
    "name": "Brain", "modality": {"0": "MRI"}, "labels": {"0": "background", "1": "brain"},
    "training": [
      {"image": "./imagesTr/ch2.nii.gz", "label": "./labelsTr/ch2.nii.gz"},
      {"image": "./imagesTr/itkhead.nii.gz", "label": "./labelsTr/itkhead.nii.gz"},
      {"image": "./imagesTr/inia.nii.gz", "label": "./labelsTr/inia.nii.gz"}]})";
    return ds;
  }
  std::ofstream(ds / "dataset.json") << R"({
    "name": "Brain", "modality": {"0": "MRI"}, "labels": {"0": "background", "1": "brain"},
    "numTraining": 2, "training": [
      {"image": "./imagesTr/ch2.nii.gz", "label": "./labelsTr/ch2.nii.gz"},
      {"image": "./imagesTr/itkhead.nii.gz", "label": "./labelsTr/itkhead.nii.gz"}],
    "test": ["./imagesTs/inia.nii.gz"]})";
  return ds;
}

}  // namespace

TEST_CASE("own data: mvg_train --dataset trains on a Decathlon folder, folder inference writes labels and metrics",
          "[examples][own-data]") {
  mvg_test::scratch s("own_data");
  const fs::path ds = make_dataset(s.dir);
  const auto t = run(s.dir, MVG_TRAIN_EXE, "--dataset '" + ds.string() + "' --out run --steps 3 --batch 2 "
                                           "--threads 2 --checkpoint-every 3 --init mae");
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  // The dataset is all it trained on, both subjects in training (two subjects leave none for validation).
  REQUIRE_THAT(t.out, Catch::Contains("dataset Dataset001_Brain (MRI): 2 training and 0 validation subjects"));
  const auto log = mvg_test::loss_column(s / "run" / "log.csv");
  REQUIRE(log.size() == 3);
  for (const auto& row : log) REQUIRE_THAT(row, Catch::Contains(",segmentation,"));

  const auto i = run(s.dir, MVG_INFER_EXE, "--checkpoint run/model.safetensors --support '" + ds.string() +
                                           "' --queries '" + (ds / "imagesTs").string() + "' --labels '" +
                                           (ds / "labelsTs").string() + "' --out pred --task segmentation");
  INFO(i.out << i.err);
  REQUIRE(i.code == 0);
  REQUIRE(mvg_test::files_in(s / "pred") == std::vector<std::string>{"inia.nii.gz", "metrics.csv"});
  const auto query = mvg::data::read_nifti(ds / "imagesTs" / "inia.nii.gz");
  const auto pred = mvg::data::read_nifti(s / "pred" / "inia.nii.gz");
  CHECK(pred.dtype == mvg::data::nifti_dtype::uint8);  // class ids as integers, not float32
  CHECK(pred.data.shape() == query.data.shape());
  CHECK(pred.geometry == query.geometry);  // pixdim, qform, sform, their codes: field for field
  CHECK(pred.geometry == odd_geometry());
  for (float v : pred.data) REQUIRE((v == 0.f || v == 1.f));

  std::stringstream csv(mvg_test::slurp(s / "pred" / "metrics.csv"));
  std::string header, row, extra;
  std::getline(csv, header), std::getline(csv, row);
  CHECK(header == "case,class_id,class,dice,iou");
  REQUIRE_THAT(row, Catch::StartsWith("inia,1,brain,"));
  double dice = -1, iou = -1;
  REQUIRE(std::sscanf(row.c_str() + std::string("inia,1,brain,").size(), "%lf,%lf", &dice, &iou) == 2);
  CHECK((dice >= 0 && dice <= 1 && iou >= 0 && iou <= dice));
  CHECK_FALSE(std::getline(csv, extra));
}

TEST_CASE("own data: a label on another grid than its image is refused in one line naming the file",
          "[examples][own-data]") {
  mvg_test::scratch s("own_data_grid");
  const fs::path ds = make_dataset(s.dir);
  const auto label = ds / "labelsTr" / "itkhead.nii.gz";
  auto moved = mvg::data::read_nifti(label);
  auto geo = moved.geometry;
  geo.srow[0][3] += 5;  // shifted 5 mm: same shape, another place
  mvg::data::write_nifti(label, moved.data, geo, mvg::data::nifti_dtype::uint8);
  const auto t = run(s.dir, MVG_TRAIN_EXE, "--dataset '" + ds.string() + "' --out run --steps 1 --batch 1");
  CHECK(t.code == 1);
  CHECK_THAT(t.err, Catch::Contains(label.string()) && Catch::Contains("affine"));
  CHECK(std::count(t.err.begin(), t.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(s / "run"));

  // The same rule for mvg_infer --truth: a truth volume on another grid is not scored.
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  const auto q = (ds / "imagesTr" / "ch2.nii.gz").string(), lab = (ds / "labelsTr" / "ch2.nii.gz").string();
  auto truth = mvg::data::read_nifti(lab);
  auto tgeo = truth.geometry;
  tgeo.srow[1][3] -= 4;
  mvg::data::write_nifti(s / "shifted.nii.gz", truth.data, tgeo, mvg::data::nifti_dtype::uint8);
  const auto r = run(s.dir, MVG_INFER_EXE, "--checkpoint m.safetensors --prompt-image '" + q + "' --prompt-label '" +
                                           lab + "' --query '" + q + "' --truth shifted.nii.gz --task segmentation "
                                           "--out p.nii.gz");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("shifted.nii.gz") && Catch::Contains("affine"));
  CHECK_FALSE(fs::exists(s / "p.nii.gz"));
}

TEST_CASE("own data: a dataset.json without labels or with a missing case is refused, naming the field",
          "[examples][own-data]") {
  mvg_test::scratch s("own_data_json");
  const fs::path ds = make_dataset(s.dir);
  std::ofstream(ds / "dataset.json") << R"({"modality": {"0": "MRI"}, "training": []})";
  auto t = run(s.dir, MVG_TRAIN_EXE, "--dataset '" + ds.string() + "' --out run --steps 1");
  CHECK(t.code == 1);
  CHECK_THAT(t.err, Catch::Contains("dataset.json") && Catch::Contains("'labels'"));
  std::ofstream(ds / "dataset.json") << R"({"modality": {"0": "MRI"}, "labels": {"0": "background", "1": "brain"},
    "training": [{"image": "./imagesTr/nobody.nii.gz", "label": "./labelsTr/nobody.nii.gz"}]})";
  t = run(s.dir, MVG_TRAIN_EXE, "--dataset '" + ds.string() + "' --out run --steps 1");
  CHECK(t.code == 1);
  CHECK_THAT(t.err, Catch::Contains("training[0].image") && Catch::Contains("nobody.nii.gz"));
}

TEST_CASE("own data: mvg_eval --dataset scores the validation subjects next to copy-the-prompt-label",
          "[examples][own-data][eval]") {
  mvg_test::scratch s("own_data_eval");
  const fs::path ds = make_dataset(s.dir, true);
  const auto t = run(s.dir, MVG_TRAIN_EXE, "--dataset '" + ds.string() + "' --out run --steps 2 --batch 2 --threads 2");
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  REQUIRE_THAT(t.out, Catch::Contains("2 training and 1 validation subjects"));
  const auto e = run(s.dir, MVG_EVAL_EXE, "--checkpoint run/model.safetensors --dataset '" + ds.string() +
                                          "' --out ev --max-queries 4");
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  const std::string csv = mvg_test::slurp(s / "ev" / "results.csv");
  for (const char* row : {"segmentation,Dataset001_Brain,mvg,miou,", "segmentation,Dataset001_Brain,mvg,dice,",
                          "segmentation,Dataset001_Brain,copy_prompt_label,miou,",
                          "segmentation,Dataset001_Brain,mvg_blank_prompt,miou,"})
    CHECK_THAT(csv, Catch::Contains(row));
  CHECK_THAT(csv, !Catch::Contains(",S1,"));  // the bundled benchmark only when asked for
  CHECK(fs::exists(s / "ev" / "grids" / "Dataset001_Brain.png"));
}
