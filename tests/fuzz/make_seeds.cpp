// mvg_fuzz_seeds OUT [DATA_DIR]: writes the seed corpus of every fuzz target under OUT/<target>/, made
// at run time by the library's own writers (and, for DICOM, from the real heudiconv mosaic in DATA_DIR,
// cut down to a 24×24 mosaic of four tiles so the fuzzer's inputs stay small). Every seed is read back
// by its reader first: a seed the reader refuses would start the fuzzer in the wrong place.
#include <gdcmReader.h>
#include <gdcmWriter.h>

#include <cstdio>
#include <fstream>

#include "fuzz_support.hpp"
#include "micro_model.hpp"
#include "mvg/data/formats/dicom.hpp"
#include "mvg/data/formats/image_io.hpp"
#include "mvg/data/formats/inv3.hpp"
#include "mvg/data/formats/nifti.hpp"
#include "mvg/io/train_state.hpp"
#include "support/inv3_writer.hpp"
#include "support/png_writer.hpp"

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

namespace {
bytes read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const fs::path& p, const bytes& b) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
bytes with_mode(std::uint8_t mode, const bytes& b) {
  bytes out{mode};
  out.insert(out.end(), b.begin(), b.end());
  return out;
}
bytes text(const std::string& s) { return {s.begin(), s.end()}; }

void checkpoint_seeds(const fs::path& out, const fs::path& tmp) {
  mvg_fuzz::micro_model m(3);
  mvg::optim::adamw<float, mvg::cpu> opt(m.parameters());
  mvg::io::save_checkpoint((tmp / "model.safetensors").string(), m, {{"mvg.step", "7"}});
  mvg::io::save_train_state((tmp / "state.safetensors").string(), m, opt, {{"mvg.train.rng", "12345"}});
  mvg::io::load_checkpoint((tmp / "model.safetensors").string(), m);
  mvg::io::load_train_state((tmp / "state.safetensors").string(), m, opt);
  write_all(out / "safetensors" / "model.safetensors", read_all(tmp / "model.safetensors"));
  write_all(out / "safetensors" / "state.safetensors", read_all(tmp / "state.safetensors"));
  // metadata: the __metadata__ object of the training state, as the metadata target splices it in.
  const auto f = mvg::io::safetensors_file::read((tmp / "state.safetensors").string());
  write_all(out / "metadata" / "state.json", text(nlohmann::json(f.metadata()).dump()));
  write_all(out / "metadata" / "config_only.json",
            text(nlohmann::json{{"mvg.format", "1"}, {"mvg.config", mvg::io::config_json(mvg_fuzz::micro).dump()},
                                {"mvg.adamw.step", "0"}}.dump()));
}

void nifti_seeds(const fs::path& out, const fs::path& tmp) {
  xt::xarray<float> v = xt::xarray<float>::from_shape({5, 4, 3});
  for (std::size_t i = 0; i < v.size(); ++i) v.flat(i) = static_cast<float>(i % 17) - 3.f;
  mvg::data::write_nifti(tmp / "f32.nii", v);
  mvg::data::write_nifti(tmp / "i16.nii.gz", v, mvg::data::identity_affine(), mvg::data::nifti_dtype::int16);
  xt::xarray<float> u = xt::abs(v);
  mvg::data::write_nifti(tmp / "u8.nii", u, mvg::data::identity_affine(), mvg::data::nifti_dtype::uint8);
  for (const char* n : {"f32.nii", "i16.nii.gz", "u8.nii"}) (void)mvg::data::read_nifti(tmp / n);
  write_all(out / "nifti" / "f32_plain", with_mode(0, read_all(tmp / "f32.nii")));
  write_all(out / "nifti" / "u8_gzipped", with_mode(1, read_all(tmp / "u8.nii")));
  write_all(out / "nifti" / "i16_raw_gz", with_mode(2, read_all(tmp / "i16.nii.gz")));
}

void inv3_seeds(const fs::path& out, const fs::path& tmp) {
  const bytes tar = mvg_test::inv3::make_tar(mvg_test::inv3::project());
  write_all(tmp / "p.inv3", mvg::data::gzip_bytes(tar, "seed"));
  (void)mvg::data::read_inv3(tmp / "p.inv3");
  write_all(out / "inv3" / "project_tar", with_mode(0, tar));
  write_all(out / "inv3" / "project_gz", with_mode(1, read_all(tmp / "p.inv3")));
}

void png_seeds(const fs::path& out, const fs::path& tmp) {
  xt::xtensor<std::uint8_t, 3> rgb = xt::xtensor<std::uint8_t, 3>::from_shape({6, 5, 3});
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb.flat(i) = static_cast<std::uint8_t>(i * 37);
  mvg::data::write_png(tmp / "rgb.png", rgb);
  xt::xtensor<std::uint8_t, 3> ga = xt::xtensor<std::uint8_t, 3>::from_shape({4, 7, 2});
  for (std::size_t i = 0; i < ga.size(); ++i) ga.flat(i) = static_cast<std::uint8_t>(i * 11);
  mvg::data::write_png(tmp / "ga.png", ga);
  write_all(out / "png" / "rgb_as_file", with_mode(0, read_all(tmp / "rgb.png")));
  write_all(out / "png" / "gray_alpha_to_rgba", with_mode(4, read_all(tmp / "ga.png")));
  const fs::path phantom = fs::path(MVG_SOURCE_DIR) / "examples" / "data" / "prompt_label.png";
  write_all(out / "png" / "phantom_label_to_gray", with_mode(1, read_all(phantom)));
  for (const char* n : {"rgb.png", "ga.png"}) (void)mvg::data::read_image_u8(tmp / n);
  // 16-bit grey (stb_image_write cannot write it): the first byte picks the full-depth reader (5) and
  // the class-id reader (10), which reach stb's 16-bit decoder.
  std::vector<std::uint16_t> deep(5 * 4);
  for (std::size_t i = 0; i < deep.size(); ++i) deep[i] = static_cast<std::uint16_t>(i * 3001);
  write_all(tmp / "deep.png", mvg_test::png::encode(5, 4, 1, 16, deep));
  (void)mvg::data::read_image(tmp / "deep.png");
  (void)mvg::data::read_label_image(tmp / "deep.png");
  write_all(out / "png" / "grey16_full_depth", with_mode(5, read_all(tmp / "deep.png")));
  write_all(out / "png" / "grey16_labels", with_mode(10, read_all(tmp / "deep.png")));
}

// The real mosaic's header (private Siemens tags, CSA blocks) over a 24×24 mosaic of 4 tiles.
void dicom_seeds(const fs::path& out, const fs::path& tmp, const fs::path& data_dir) {
  const fs::path real = data_dir / "heudiconv/usr/lib/python3/dist-packages/heudiconv/tests/data/b0dwiForFmap/"
                                   "b0dwi_for_fmap+00001.dcm";
  if (!fs::exists(real)) {
    std::fprintf(stderr, "mvg_fuzz_seeds: %s not found (run scripts/fetch_data.sh)\n", real.c_str());
    std::exit(1);
  }
  gdcm::Reader r;
  r.SetFileName(real.c_str());
  if (!r.Read()) throw std::runtime_error("gdcm cannot read " + real.string());
  gdcm::DataSet& ds = r.GetFile().GetDataSet();
  auto set_us = [&](gdcm::DataElement de, std::uint16_t v) {
    de.SetByteValue(reinterpret_cast<const char*>(&v), 2);
    ds.Replace(de);
  };
  set_us(ds.GetDataElement(gdcm::Tag(0x0028, 0x0010)), 24);
  set_us(ds.GetDataElement(gdcm::Tag(0x0028, 0x0011)), 24);
  set_us(ds.GetDataElement(gdcm::PrivateTag(0x0019, 0x0a, "SIEMENS MR HEADER")), 4);
  std::vector<std::uint16_t> px(24 * 24);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint16_t>(i * 91);
  // The Siemens CSA blocks (0029,1010/1020) are ~200 KB the reader never looks at.
  for (std::uint16_t e : {0x1010, 0x1020, 0x1110, 0x1120}) ds.Remove(gdcm::Tag(0x0029, e));
  gdcm::DataElement pd = ds.GetDataElement(gdcm::Tag(0x7fe0, 0x0010));
  pd.SetByteValue(reinterpret_cast<const char*>(px.data()), static_cast<std::uint32_t>(px.size() * 2));
  ds.Replace(pd);
  gdcm::Writer w;
  w.SetFile(r.GetFile());
  const fs::path small = tmp / "mosaic.dcm";
  w.SetFileName(small.c_str());
  if (!w.Write()) throw std::runtime_error("gdcm cannot write " + small.string());
  const auto m = mvg::data::read_siemens_mosaic(small);
  if (m.volume.shape() != std::vector<std::size_t>{4, 12, 12})
    throw std::runtime_error("the cut-down mosaic seed does not read as 4 tiles of 12×12");
  write_all(out / "dicom" / "mosaic_2x2.dcm", read_all(small));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: mvg_fuzz_seeds OUT [DATA_DIR]\n");
    return 2;
  }
  const fs::path out(argv[1]);
  const fs::path data_dir = argc == 3 ? fs::path(argv[2]) : fs::path(MVG_SOURCE_DIR) / ".cache" / "data";
  const fs::path tmp = out / ".tmp";
  fs::create_directories(tmp);
  try {
    checkpoint_seeds(out, tmp);
    nifti_seeds(out, tmp);
    inv3_seeds(out, tmp);
    png_seeds(out, tmp);
    dicom_seeds(out, tmp, data_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mvg_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  fs::remove_all(tmp);
  std::printf("mvg_fuzz_seeds: corpus written to %s\n", out.c_str());
  return 0;
}
