// mvg_infer as a user runs it: the shipped example (PNG) and NIfTI volumes give the expected files;
// every kind of bad input (issue 8) gives one line naming the file, a non-zero exit and no output.
#include "common/model_choice.hpp"
#include "examples/support.hpp"

namespace fs = std::filesystem;
using mvg_test::edit_header;
using mvg_test::run;

namespace {
const fs::path shipped = fs::path(MVG_SOURCE_DIR) / "examples" / "data";

std::string example_args(const std::string& task = "segmentation") {
  return "--checkpoint m.safetensors --prompt-image '" + (shipped / "prompt_image.png").string() +
         "' --prompt-label '" + (shipped / "prompt_label.png").string() + "' --query '" +
         (shipped / "query_image.png").string() + "' --task " + task;
}
}  // namespace

TEST_CASE("mvg_infer: the shipped example writes the prediction, the picture and the scores", "[examples][infer]") {
  mvg_test::scratch s("infer");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  const auto r = run(s.dir, MVG_INFER_EXE,
                     example_args() + " --out pred.png --picture pic.png --truth '" +
                         (shipped / "query_label.png").string() + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("mIoU"));
  const auto pred = mvg::data::read_image_u8(s / "pred.png");
  REQUIRE(pred.shape() == std::array<std::size_t, 3>{64, 64, 1});
  for (auto v : pred) REQUIRE(v <= 2);  // class ids of the prompt label, nothing else
  REQUIRE(mvg::data::read_image_u8(s / "pic.png").shape()[1] > 5 * 64);

  const auto d = run(s.dir, MVG_INFER_EXE, example_args("denoising") + " --mode mim --out den.nii.gz");
  INFO(d.err);
  REQUIRE(d.code == 0);
  const auto n = mvg::data::read_nifti(s / "den.nii.gz");
  REQUIRE(n.data.shape() == std::vector<std::size_t>{64, 64});
  REQUIRE(mvg_test::files_in(s.dir) == std::vector<std::string>{"den.nii.gz", "m.safetensors", "pic.png", "pred.png"});
}

TEST_CASE("mvg_infer: NIfTI volumes take slice-position prompts and give a volume back", "[examples][infer]") {
  mvg_test::scratch s("infer_nifti");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  // A 48×40 in-plane grid (not square, not the model's size) to exercise the pad/resize round trip.
  auto volume = [](std::size_t depth, bool labels) {
    xt::xarray<float> v = xt::zeros<float>({std::size_t(48), std::size_t(40), depth});
    for (std::size_t z = 0; z < depth; ++z)
      for (std::size_t i = 10; i < 30 + z; ++i)
        for (std::size_t j = 8; j < 30; ++j) v(i, j, z) = labels ? 1.f : 100.f + float(i + j);
    return v;
  };
  mvg::data::write_nifti(s / "p.nii.gz", volume(6, false));
  mvg::data::write_nifti(s / "pl.nii.gz", volume(6, true));
  mvg::data::write_nifti(s / "q.nii", volume(9, false));
  const auto r = run(s.dir, MVG_INFER_EXE,
                     "--checkpoint m.safetensors --prompt-image p.nii.gz --prompt-label pl.nii.gz --query q.nii "
                     "--task segmentation --out seg.nii.gz --picture pic.png --truth pl.nii.gz");
  // The truth must have the query's slice count: 6 ≠ 9.
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("pl.nii.gz has 6 slices but q.nii has 9"));
  REQUIRE_FALSE(fs::exists(s / "seg.nii.gz"));
  const auto ok = run(s.dir, MVG_INFER_EXE,
                      "--checkpoint m.safetensors --prompt-image p.nii.gz --prompt-label pl.nii.gz --query q.nii "
                      "--task segmentation --out seg.nii.gz --picture pic.png");
  INFO(ok.err);
  REQUIRE(ok.code == 0);
  const auto seg = mvg::data::read_nifti(s / "seg.nii.gz");
  REQUIRE(seg.data.shape() == std::vector<std::size_t>{48, 40, 9});
  for (float v : seg.data) REQUIRE((v == 0.f || v == 1.f));
  REQUIRE(fs::exists(s / "pic.png"));
  // Class ids are written as integers, with the query's header geometry field for field (the qform and
  // its code were once dropped and the labels written as float32).
  CHECK(seg.dtype == mvg::data::nifti_dtype::uint8);
  CHECK(seg.geometry == mvg::data::read_nifti(s / "q.nii").geometry);
  auto q = mvg::data::read_nifti(s / "q.nii");
  auto geo = q.geometry;
  geo.qform_code = 1, geo.quatern = {0.f, 0.f, 0.70710678f, -10.f, 20.f, -30.f}, geo.pixdim[0] = -1.f;
  mvg::data::write_nifti(s / "q2.nii.gz", q.data, geo);
  const auto ok2 = run(s.dir, MVG_INFER_EXE, "--checkpoint m.safetensors --prompt-image p.nii.gz --prompt-label "
                                             "pl.nii.gz --query q2.nii.gz --task segmentation --out seg2.nii.gz");
  REQUIRE(ok2.code == 0);
  CHECK(mvg::data::read_nifti(s / "seg2.nii.gz").geometry == geo);

  // Images: the raw prediction in a NIfTI, clamped only where an 8-bit PNG needs it.
  const auto d = run(s.dir, MVG_INFER_EXE, "--checkpoint m.safetensors --prompt-image p.nii.gz --prompt-label "
                                           "p.nii.gz --query q2.nii.gz --task denoising --intensity none "
                                           "--out den.nii.gz");
  INFO(d.err);
  REQUIRE(d.code == 0);
  const auto den = mvg::data::read_nifti(s / "den.nii.gz");
  CHECK(den.dtype == mvg::data::nifti_dtype::float32);
  CHECK(den.geometry == geo);
  const bool outside = std::any_of(den.data.begin(), den.data.end(), [](float v) { return v < 0.f || v > 1.f; });
  CHECK(outside);  // an untrained model's raw output leaves [0, 1] somewhere: nothing clamped it
}

TEST_CASE("mvg_infer: a checkpoint of another preset runs at its own size", "[examples][infer][presets]") {
  mvg_test::scratch s("infer_preset");
  example::model_of<mvg::presets::small> m(0);  // 128² canvas, whatever this build's default preset
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  const auto r = run(s.dir, MVG_INFER_EXE, example_args() + " --out pred.png");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(mvg::data::read_image_u8(s / "pred.png").shape() == std::array<std::size_t, 3>{64, 64, 1});
  const auto t = run(s.dir, MVG_TRAIN_EXE, "--preset huge --out run --steps 1");
  CHECK(t.code == 1);
  CHECK_THAT(t.err, Catch::Contains("unknown preset 'huge'") && Catch::Contains("tiny, small, base, large"));
}

TEST_CASE("mvg_infer: more classes than random coloring's 16 levels: a clear message, and one pass per class",
          "[examples][infer][coloring]") {
  mvg_test::scratch s("infer_coloring");
  example::model_t m(0);
  mvg::io::save_checkpoint((s / "m.safetensors").string(), m);
  xt::xtensor<std::uint8_t, 3> labels = xt::zeros<std::uint8_t>({std::size_t(64), std::size_t(64), std::size_t(1)});
  for (std::size_t i = 0; i < 64; ++i)
    for (std::size_t j = 0; j < 64; ++j) labels(i, j, 0) = static_cast<std::uint8_t>((i / 8) * 3 + j / 24);  // 24 classes
  mvg::data::write_png(s / "many.png", labels);
  const std::string args = "--checkpoint m.safetensors --prompt-image '" + (shipped / "prompt_image.png").string() +
                           "' --prompt-label many.png --query '" + (shipped / "query_image.png").string() +
                           "' --task segmentation --out pred.png";
  const auto r = run(s.dir, MVG_INFER_EXE, args);
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("23 classes") && Catch::Contains("--coloring per-class") &&
                        Catch::Contains("--coloring binary"));
  const auto b = run(s.dir, MVG_INFER_EXE, args + " --coloring binary");
  INFO(b.err);
  REQUIRE(b.code == 0);
  for (auto v : mvg::data::read_image_u8(s / "pred.png")) REQUIRE(v <= 23);
  // per-class: one pass per class at random levels, any number of classes.
  auto args_pc = args;
  args_pc.replace(args_pc.find("--out pred.png"), 14, "--out pred_pc.png");
  const auto pc = run(s.dir, MVG_INFER_EXE, args_pc + " --coloring per-class");
  INFO(pc.err);
  REQUIRE(pc.code == 0);
  for (auto v : mvg::data::read_image_u8(s / "pred_pc.png")) REQUIRE(v <= 23);
}

TEST_CASE("mvg_infer: bad input gives one line naming the file, exit code 1 or 2 and no output file",
          "[examples][infer][errors]") {
  mvg_test::scratch s("infer_errors");
  example::model_t m(0);
  const fs::path good = s / "m.safetensors";
  mvg::io::save_checkpoint(good.string(), m);
  const std::string bytes = mvg_test::slurp(good);
  std::ofstream(s / "truncated.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::ofstream(s / "corrupt.safetensors", std::ios::binary) << std::string(4096, '\x7f');
  std::ofstream(s / "corrupt.png", std::ios::binary) << "\x89PNG\r\n\x1a\n not really";
  edit_header(good, s / "lying.safetensors", [](auto& j) { j["norm.bias"]["data_offsets"] = {0, 1ull << 40}; });
  edit_header(good, s / "shape.safetensors", [](auto& j) { j["pos_embed"]["shape"] = {1, 192, 64}; });
  edit_header(good, s / "config.safetensors", [](auto& j) {
    auto c = nlohmann::json::parse(j["__metadata__"]["mvg.config"].template get<std::string>());
    c["embed_dim"] = 384;
    j["__metadata__"]["mvg.config"] = c.dump();
  });
  mvg::data::write_png(s / "small.png", mvg::data::image2d<float>(xt::zeros<float>({std::size_t(32), std::size_t(32)})));
  const std::string prompt = " --prompt-image '" + (shipped / "prompt_image.png").string() + "' --prompt-label '" +
                             (shipped / "prompt_label.png").string() + "'";
  const std::string query = " --query '" + (shipped / "query_image.png").string() + "'";
  auto with_ckpt = [&](const std::string& c) { return "--checkpoint " + c + prompt + query + " --task segmentation"; };
  struct bad {
    std::string args, says;
  };
  const auto before = mvg_test::files_in(s.dir);
  for (const auto& b : std::vector<bad>{
           {with_ckpt("missing.safetensors"), "missing.safetensors"},
           {with_ckpt("corrupt.safetensors"), "corrupt.safetensors"},
           {with_ckpt("truncated.safetensors"), "truncated.safetensors"},
           {with_ckpt("lying.safetensors"), "lying.safetensors: tensor 'norm.bias': data_offsets"},
           {with_ckpt("shape.safetensors"), "'pos_embed' has shape [1, 192, 64], expected [1, 64, 192]"},
           {with_ckpt("config.safetensors"), "config.safetensors: its model size (mvg.config"},
           {"--checkpoint m.safetensors" + prompt + " --query nothere.png --task segmentation", "nothere.png"},
           {"--checkpoint m.safetensors" + prompt + " --query corrupt.png --task segmentation", "corrupt.png"},
           {"--checkpoint m.safetensors --prompt-image small.png --prompt-label small.png" + query +
                " --task segmentation",
            "small.png is 32×32 but the query"},
           {"--checkpoint m.safetensors" + prompt + query + " --task colorize", "--task: colorize not in"},
           {"--checkpoint m.safetensors --prompt-image '" + (shipped / "prompt_image.png").string() + "'" + query +
                " --task segmentation",
            "give one label per prompt image"}}) {
    const auto r = run(s.dir, MVG_INFER_EXE, b.args + " --out out.png --picture pic.png");
    INFO(b.args << "\n" << r.err);
    REQUIRE((r.code == 1 || r.code == 2));
    REQUIRE_THAT(r.err, Catch::Contains(b.says));
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE(r.err.rfind("mvg_infer: ", 0) == 0);
    REQUIRE(mvg_test::files_in(s.dir) == before);  // no output, no temporary left behind
  }
}
