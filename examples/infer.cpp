// mvg_infer: one prediction from a checkpoint, n prompt pairs and a query (SPEC §8).
//   mvg_infer --checkpoint FILE --prompt-image F --prompt-label F [more pairs…] --query F
//             --task segmentation|denoising|inpainting|synthesis [--mode ar|mim] --out FILE [--picture FILE]
// 2-D images (PNG) or NIfTI volumes: for a volume query, slice n of N takes slice floor(n·M/N) of
// each M-slice prompt volume (the paper's slice-position rule). See common/infer_io.hpp for formats.
#include "common/cli.hpp"
#include "common/infer_io.hpp"
#include "common/model_choice.hpp"

#include <mvg/viz/grid.hpp>

using namespace mvg;

struct infer_options {
  std::string checkpoint, query, task, mode = "ar", out, picture, truth, intensity = "mri";
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

static viz::tile tile_of(const example::gray& g, bool labels) {
  return labels ? viz::label_tile(example::to_labels(g)) : viz::gray_tile(g);
}

static void infer(const infer_options& o) {
  if (o.threads > 0) example::backend::set_threads(o.threads);
  example::use_precision(o.precision);
  MVG_CHECK(!o.prompt_images.empty() && o.prompt_images.size() == o.prompt_labels.size(), "got ",
            o.prompt_images.size(), " --prompt-image and ", o.prompt_labels.size(),
            " --prompt-label: give one label per prompt image");
  const bool seg = o.task == "segmentation";
  example::model_t net;
  io::load_checkpoint(o.checkpoint, net);
  constexpr std::size_t n = example::cfg.image_size;

  const auto query = example::read_stack(o.query, false, o.intensity);
  std::vector<example::stack> pimg, plab;
  for (std::size_t i = 0; i < o.prompt_images.size(); ++i) {
    pimg.push_back(example::read_stack(o.prompt_images[i], false, o.intensity));
    plab.push_back(example::read_stack(o.prompt_labels[i], seg, o.intensity));
    check_same_grid(pimg.back(), query), check_same_grid(plab.back(), query);
    MVG_CHECK(pimg.back().slices.size() == plab.back().slices.size(), o.prompt_labels[i], " has ",
              plab.back().slices.size(), " slices but its image ", o.prompt_images[i], " has ",
              pimg.back().slices.size());
  }
  std::optional<example::stack> truth;
  if (!o.truth.empty()) {
    truth = example::read_stack(o.truth, seg, o.intensity);
    check_same_grid(*truth, query);
    MVG_CHECK(truth->slices.size() == query.slices.size(), o.truth, ": slice count differs from the query's");
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
      const auto map = objectives::segment(net, pi, pl, q, objectives::coloring_scheme::random, g, mode);
      pred.push_back(xt::cast<float>(example::from_canvas(map, query.h(), query.w())));
      continue;
    }
    objectives::sample s;
    s.prompt_images = pi, s.prompt_labels = pt, s.query = q;
    example::gray p = objectives::predict(net, {s}, mode)[0];
    for (auto& v : p) v = std::clamp(v, 0.f, 1.f);
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
  app.add_option("--prompt-image", o.prompt_images, "prompt image (PNG or NIfTI); repeat for more pairs")->required();
  app.add_option("--prompt-label", o.prompt_labels, "its label: class ids (segmentation) or target image")->required();
  app.add_option("--query", o.query, "the query image or volume")->required();
  app.add_option("--task", o.task, "what the prompts show")
      ->required()
      ->check(CLI::IsMember({"segmentation", "denoising", "inpainting", "synthesis"}));
  app.add_option("--mode", o.mode, "inference: ar (block-causal) or mim (masked query label)")
      ->check(CLI::IsMember({"ar", "mim"}))
      ->capture_default_str();
  app.add_option("--out", o.out, "prediction: .png (8-bit), .nii or .nii.gz (float32)")->required();
  app.add_option("--picture", o.picture, "also write a side-by-side PNG (prompt, query, prediction[, truth])");
  app.add_option("--truth", o.truth, "the true label/target: prints the scores and adds it to the picture");
  app.add_option("--intensity", o.intensity, "NIfTI image scaling: mri (0.5-99.5 percentiles), ct:LO:HI, none")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the random coloring")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (default: all)");
  app.add_option("--precision", o.precision, example::precision_help())->capture_default_str();
  return example::run(app, argc, argv, [&] { infer(o); });
}
