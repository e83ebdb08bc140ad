// mvg_infer: one prediction from a checkpoint, n prompt pairs and a query (SPEC §8).
//   mvg_infer --checkpoint FILE --prompt-image F --prompt-label F [more pairs…] --query F
//             --task segmentation|denoising|inpainting|synthesis [--mode ar|mim] --out FILE [--picture FILE]
// 2-D images (PNG) or NIfTI volumes: for a volume query, slice n of N takes slice floor(n·M/N) of
// each M-slice prompt volume (the paper's slice-position rule). See common/infer_io.hpp for formats.
// Folder mode segments a folder of volumes from a Decathlon-format support (common/folder_inference.hpp):
//   mvg_infer --checkpoint FILE --support DATASET_DIR --queries DIR --out DIR [--labels DIR] --task segmentation
#include "common/cli.hpp"
#include "common/folder_inference.hpp"
#include "common/infer_io.hpp"
#include "common/model_choice.hpp"

#include <mvg/viz/grid.hpp>

using namespace mvg;

struct infer_options {
  std::string checkpoint, query, task, mode = "ar", out, picture, truth, intensity = "mri", coloring = "random";
  std::string support, queries, labels_dir;  // folder mode
  std::size_t prompts = 1, axis = 2;
  std::vector<std::string> prompt_images, prompt_labels;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string precision = "fp32";  // of the matrix products (mvg/backend/precision.hpp)
};

static void check_same_grid(const example::stack& s, const example::stack& q) {
  MVG_CHECK(s.h() == q.h() && s.w() == q.w(), s.path, " is ", s.h(), "×", s.w(), " but the query ", q.path, " is ",
            q.h(), "×", q.w(), ": every input needs the query's size");
  MVG_CHECK(s.volume == q.volume, s.path, ": mixes a 2-D image with a volume (", q.path, ")");
}

// A label or truth volume on another voxel grid than its image would be scored or read misplaced.
static void check_same_volume(const example::stack& l, const example::stack& img) {
  check_same_grid(l, img);
  MVG_CHECK(l.slices.size() == img.slices.size(), l.path, " has ", l.slices.size(), " slices but ", img.path, " has ",
            img.slices.size());
  if (!l.volume) return;
  const auto [r, c] = data::affine_difference(l.affine, img.affine);
  MVG_CHECK(r < 0, l.path, ": affine element (", r, ",", c, ") is ", r < 0 ? 0.0 : l.affine[r][c], " but ", img.path,
            " has ", r < 0 ? 0.0 : img.affine[r][c], ": the two volumes lie on different grids");
}

static viz::tile tile_of(const example::gray& g, bool labels) {
  return labels ? viz::label_tile(example::to_labels(g)) : viz::gray_tile(g);
}

static objectives::coloring_scheme coloring_of(const infer_options& o) {
  return o.coloring == "binary" ? objectives::coloring_scheme::binary : objectives::coloring_scheme::random;
}
static bool one_class_per_pass(const infer_options& o) { return o.coloring == "per-class"; }

template <mvg::config C>
static void infer_folder(const infer_options& o) {
  MVG_CHECK(o.prompt_images.empty() && o.prompt_labels.empty() && o.query.empty() && o.truth.empty() &&
                o.picture.empty(), "folder mode (--support, --queries) takes no --prompt-image, --prompt-label, "
            "--query, --truth or --picture (--labels DIR scores the queries)");
  MVG_CHECK(!o.queries.empty() && !o.support.empty(), "folder mode needs both --support DATASET_DIR and --queries DIR");
  MVG_CHECK(o.task == "segmentation", "folder mode segments: --task must be segmentation, got ", o.task);
  MVG_CHECK(o.prompts >= 1, "--prompts must be at least 1");
  example::model_of<C> net(0, init_scheme::timm, {}, io::decoder_options_of(o.checkpoint));  // the checkpoint's decoder
  io::load_checkpoint(o.checkpoint, net);
  example::folder_options f;
  f.support = o.support, f.queries = o.queries, f.out = o.out, f.labels_dir = o.labels_dir;
  f.prompts = o.prompts, f.axis = o.axis, f.coloring = coloring_of(o), f.seed = o.seed;
  f.one_class_per_pass = one_class_per_pass(o);
  f.mode = o.mode == "mim" ? objectives::inference_mode::mim : objectives::inference_mode::autoregressive;
  example::infer_folder(net, f);
}

// The model's size is the checkpoint's (example/common/model_choice.hpp).
template <mvg::config C>
static void infer(const infer_options& o) {
  if (o.threads > 0) example::backend::set_threads(o.threads);
  example::use_precision(o.precision);
  if (!o.support.empty() || !o.queries.empty()) return infer_folder<C>(o);
  MVG_CHECK(!o.query.empty(), "give --query (one image or volume) or --support and --queries (folder mode)");
  MVG_CHECK(!o.prompt_images.empty() && o.prompt_images.size() == o.prompt_labels.size(), "got ",
            o.prompt_images.size(), " --prompt-image and ", o.prompt_labels.size(),
            " --prompt-label: give one label per prompt image");
  const bool seg = o.task == "segmentation";
  example::model_of<C> net(0, init_scheme::timm, {}, io::decoder_options_of(o.checkpoint));  // the checkpoint's decoder
  io::load_checkpoint(o.checkpoint, net);
  constexpr std::size_t n = C.image_size;

  const auto query = example::read_stack(o.query, false, o.intensity);
  std::vector<example::stack> pimg, plab;
  for (std::size_t i = 0; i < o.prompt_images.size(); ++i) {
    pimg.push_back(example::read_stack(o.prompt_images[i], false, o.intensity));
    plab.push_back(example::read_stack(o.prompt_labels[i], seg, o.intensity));
    check_same_grid(pimg.back(), query);
    check_same_volume(plab.back(), pimg.back());
  }
  std::optional<example::stack> truth;
  if (!o.truth.empty()) {
    truth = example::read_stack(o.truth, seg, o.intensity);
    check_same_volume(*truth, query);
  }

  const auto mode = o.mode == "mim" ? objectives::inference_mode::mim : objectives::inference_mode::autoregressive;
  rng g(o.seed);
  std::vector<example::gray> pred;
  const std::size_t nq = query.slices.size();
  for (std::size_t z = 0; z < nq; ++z) {
    std::vector<example::gray> pi;
    std::vector<example::labels> pl;
    std::vector<example::gray> pt;
    for (std::size_t p = 0; p < pimg.size(); ++p) {
      const std::size_t k = data::position_prompt(z, nq, pimg[p].slices.size());
      pi.push_back(example::to_canvas(pimg[p].slices[k], n));
      if (seg) pl.push_back(example::to_canvas(example::to_labels(plab[p].slices[k]), n));
      else pt.push_back(example::to_canvas(plab[p].slices[k], n));
    }
    const auto q = example::to_canvas(query.slices[z], n);
    if (seg) {
      const auto map = objectives::segment(net, pi, pl, q, coloring_of(o), g, mode, one_class_per_pass(o));
      pred.push_back(xt::cast<float>(example::from_canvas(map, query.h(), query.w())));
      continue;
    }
    objectives::sample s;
    s.prompt_images = pi, s.prompt_labels = pt, s.query = q;
    // The raw prediction (SPEC §8): a NIfTI output keeps it; an 8-bit PNG clamps when it writes.
    const example::gray p = objectives::predict(net, {s}, mode)[0];
    pred.push_back(example::from_canvas(p, query.h(), query.w()));
  }
  example::write_prediction(o.out, pred, query, seg);
  std::printf("wrote %s (%zu slice%s, %s)\n", o.out.c_str(), pred.size(), pred.size() > 1 ? "s" : "", o.task.c_str());

  if (truth) {
    if (seg) {
      int classes = 2;
      for (const auto& s : truth->slices)
        for (float v : s) classes = std::max(classes, int(v) + 1);
      for (const auto& s : pred)
        for (float v : s) classes = std::max(classes, int(v) + 1);
      eval::confusion_matrix cm{static_cast<std::size_t>(classes)};
      for (std::size_t z = 0; z < nq; ++z) cm.add(example::to_labels(pred[z]), example::to_labels(truth->slices[z]));
      std::printf("against %s: mIoU %.4f, Dice %.4f\n", o.truth.c_str(), cm.mean_iou(), cm.mean_dice());
    } else {
      eval::image_scores sc;
      for (std::size_t z = 0; z < nq; ++z) sc.add(pred[z], truth->slices[z]);
      std::printf("against %s: MAE %.4f, PSNR %.2f dB, SSIM %.4f\n", o.truth.c_str(), sc.mean_mae(), sc.mean_psnr(),
                  sc.mean_ssim());
    }
  }
  if (!o.picture.empty()) {
    const std::size_t z = nq / 2, k = data::position_prompt(z, nq, pimg[0].slices.size());
    std::vector<viz::tile> row{tile_of(pimg[0].slices[k], false), tile_of(plab[0].slices[k], seg),
                               tile_of(query.slices[z], false), tile_of(pred[z], seg)};
    std::vector<std::string> cols{"prompt image", "prompt label", "query", "prediction"};
    if (truth) row.push_back(tile_of(truth->slices[z], seg)), cols.push_back("truth");
    viz::picture_grid(cols, {query.volume ? "slice " + std::to_string(z) : ""}, {row}, 2).save(o.picture);
    std::printf("wrote %s\n", o.picture.c_str());
  }
}

int main(int argc, char** argv) {
  infer_options o;
  CLI::App app{"Predicts the query's label/target from in-context prompt pairs with a trained MVG checkpoint.",
               "mvg_infer"};
  app.add_option("--checkpoint", o.checkpoint, "weights written by mvg_train (model.safetensors)")->required();
  app.add_option("--prompt-image", o.prompt_images, "prompt image (PNG or NIfTI); repeat for more pairs");
  app.add_option("--prompt-label", o.prompt_labels, "its label: class ids (segmentation) or target image");
  app.add_option("--query", o.query, "the query image or volume");
  app.add_option("--support", o.support, "folder mode: a Decathlon / nnU-Net raw folder whose imagesTr/labelsTr "
                 "pairs are the prompts (dataset.json's modality sets the intensity scaling)");
  app.add_option("--queries", o.queries, "folder mode: a folder of NIfTI volumes to segment (e.g. imagesTs); one "
                 "label volume per query is written into --out, named like the query");
  app.add_option("--labels", o.labels_dir, "folder mode: the queries' true label volumes (same file names): writes "
                 "metrics.csv (Dice and IoU per case and class) into --out");
  app.add_option("--prompts", o.prompts, "folder mode: prompt pairs per query slice (support subjects, chosen by "
                 "similarity among the slices at the query's relative position)")->capture_default_str();
  app.add_option("--axis", o.axis, "folder mode: the voxel axis slices are taken along (as mvg_train "
                 "--dataset-axis)")->check(CLI::Range(0, 2))->capture_default_str();
  app.add_option("--coloring", o.coloring, "segmentation prompts: random (one gray level per class, up to 16 "
                 "classes, one pass), per-class (one pass per class, each at a random gray level: how mvg_eval "
                 "scores the main job) or binary (one pass per class at level 1, any number of classes)")
      ->check(CLI::IsMember({"random", "per-class", "binary"}))->capture_default_str();
  app.add_option("--task", o.task, "what the prompts show")
      ->required()
      ->check(CLI::IsMember({"segmentation", "denoising", "inpainting", "synthesis"}));
  app.add_option("--mode", o.mode, "inference: ar (block-causal) or mim (masked query label)")
      ->check(CLI::IsMember({"ar", "mim"}))
      ->capture_default_str();
  app.add_option("--out", o.out, "prediction: .png (8-bit), .nii or .nii.gz (class ids as integers, images as "
                 "float32 with the query's header geometry); in folder mode a folder")->required();
  app.add_option("--picture", o.picture, "also write a side-by-side PNG (prompt, query, prediction[, truth])");
  app.add_option("--truth", o.truth, "the true label/target: prints the scores and adds it to the picture");
  app.add_option("--intensity", o.intensity, "NIfTI image scaling: mri (0.5-99.5 percentiles), ct:LO:HI, none")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the random coloring")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: all)");
  app.add_option("--precision", o.precision, example::precision_help())->capture_default_str();
  return example::run(app, argc, argv, [&] {
    example::with_preset(example::preset_of_checkpoint(o.checkpoint), [&]<mvg::config C>() { infer<C>(o); });
  });
}
