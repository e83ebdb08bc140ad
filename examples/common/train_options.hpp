// examples/common/train_options.hpp: mvg_train's options: their flags and defaults, the checks run
// before anything loads, and the text a resumed run compares with the one it continues
// (io::check_resume_options). The shares and set weights parse through mvg/objectives/shares.hpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <vector>
#include <string>

#include "common/cli.hpp"
#include "common/model_choice.hpp"

namespace example {

struct train_options {
  std::string out, data, tasks;
  std::string preset;  // empty: the build's default (or, on --resume, the run's)
  std::vector<std::string> datasets;  // Decathlon / nnU-Net raw folders (data/benchmark/decathlon.hpp)
  long dataset_axis = 2;
  long steps = 500, batch = 8, seed = 0, prompts = 1, prompt_distance = 20, min_prompt_distance = 0,
       seg_prompt_distance = 0, late_prompt_distance = 0, checkpoint_every = 50, until = 0;
  double late_from = 0.5;  // share of --steps after which --late-prompt-distance bounds the prompts
  double lr = 2e-4, clip = 1.0, warmup = 0.05;  // lr: see docs/examples.md (1e-3 diverges at batch 8)
  std::string ar_share;    // over the paper's shares (§4.1); see mvg/objectives/shares.hpp
  std::string task_share;  // the task-kind mixture over the paper's (segmentation 0.5)
  std::string set_weights; // segmentation set draw weights, "S2-regions=3,S3=3" (others 1)
  bool augment = false;    // independent augmentation of segmentation prompts and query
  double background_weight = 0.1;  // loss weight of segmentation's background pixels (objectives/sample.hpp)
  double synthetic_regions = 0.0;  // segmentation samples whose class is a random region (objectives/task_sampler.hpp)
  double self_prompts = 0.0;      // share of segmentation samples prompted by themselves (objectives/task_sampler.hpp)
  double seg_first_weight = 1.0;  // weight of segmentation's no-prompt AR prediction (objectives/autoregressive.hpp)
  std::string init = "timm";  // weight init scheme: timm or mae (docs/design.md, "init")
  std::string finetune;       // a checkpoint whose encoder this run starts from (paper Appendix B)
  std::string start_from;     // a checkpoint whose every weight this run starts from (fine-tuning a trained MVG)
  std::string support_of;     // test-only sets whose support slices are trained on (paper Table 4's adaptation)
  std::string freeze;         // comma-separated parameters kept at their values (objectives/train_step.hpp)
  std::string lr_scale;       // per-parameter lr multipliers, "qkv=4" (mvg/optim/lr_scale.hpp)
  long position_heads = 0;    // heads per block built to attend by position at init (mvg/nn/position_heads.hpp)
  bool pixel_skip = false;    // the decoder also sees three input slots' pixels (mvg/nn/pixel_skip.hpp)
  bool copy_gate = false;     // the decoder may copy the prompt label per pixel (mvg/nn/conv_decoder.hpp)
  bool refine = false;        // a second full-resolution stage in the decoder (mvg/nn/conv_decoder.hpp)
  bool label_fusion = false;  // the decoder also sees the prompt label moved by patch matching (ops/label_fusion.hpp)
  bool fusion_holes = false;  // and a second fused channel that skips the query's zero pixels (holes)
  std::string coloring = "random";  // segmentation label coloring (mvg/objectives/coloring.hpp, paper §3.2)
  std::string precision = "fp32";  // of the matrix products (mvg/backend/precision.hpp)
  bool pretrain = false;      // masked image modeling on the training images, no labels
  int threads = 0;
  bool resume = false;

  // The options a resumed run must share with the run it continues (io::check_resume_options).
  std::map<std::string, std::string> fixed() const {
    namespace ob = mvg::objectives;
    return {{"steps", std::to_string(steps)}, {"batch", std::to_string(batch)}, {"lr", std::to_string(lr)},
            {"seed", std::to_string(seed)}, {"prompts", std::to_string(prompts)}, {"tasks", tasks},
            {"prompt_distance", std::to_string(prompt_distance)}, {"clip", std::to_string(clip)},
            {"warmup", std::to_string(warmup)}, {"init", init}, {"pretrain", pretrain ? "1" : "0"},
            {"finetune", finetune}, {"augment", augment ? "1" : "0"},
            {"ar_share", ob::format_kind_shares(ob::parse_ar_shares(ar_share, "--ar-share"))},
            {"task_share", ob::format_kind_shares(ob::parse_task_shares(task_share, "--task-share"))},
            {"set_weights", ob::format_set_weights(ob::parse_set_weights(set_weights, "--set-weights"))},
            {"min_prompt_distance", std::to_string(min_prompt_distance)},
            {"seg_first_weight", std::to_string(seg_first_weight)}, {"datasets", dataset_list()},
            {"self_prompts", std::to_string(self_prompts)}, {"start_from", start_from}, {"support_of", support_of},
            {"freeze", freeze},
            {"lr_scale", ob::format_lr_scales(ob::parse_lr_scales(lr_scale, "--lr-scale"))},
            {"position_heads", std::to_string(position_heads)}, {"coloring", coloring},
            {"pixel_skip", pixel_skip ? "1" : "0"}, {"copy_gate", copy_gate ? "1" : "0"},
            {"refine", refine ? "1" : "0"}, {"label_fusion", label_fusion ? "1" : "0"},
            {"fusion_holes", fusion_holes ? "1" : "0"}, {"dataset_axis", std::to_string(dataset_axis)},
            {"background_weight", std::to_string(background_weight)},
            {"synthetic_regions", std::to_string(synthetic_regions)},
            {"seg_prompt_distance", std::to_string(seg_prompt_distance)},
            {"late_prompt_distance", std::to_string(late_prompt_distance)}, {"late_from", std::to_string(late_from)}};
  }
  // The first step that draws its prompts within --late-prompt-distance (steps if none does).
  long late_step() const {
    return late_prompt_distance > 0 ? std::min(steps, long(std::ceil(late_from * double(steps)))) : steps;
  }
  std::string dataset_list() const {
    std::string s;
    for (const auto& d : datasets) s += (s.empty() ? "" : ",") + std::filesystem::absolute(d).lexically_normal().string();
    return s;
  }

  // Values that cannot be right, refused before any loading.
  void check() const {
    const auto& o = *this;
    MVG_CHECK(o.min_prompt_distance >= 0 && o.min_prompt_distance <= o.prompt_distance, "--min-prompt-distance ",
              o.min_prompt_distance, " must lie in [0, --prompt-distance ", o.prompt_distance, "]");
    // An optional second bound on the prompt distance: 0 (off), or one that --min-prompt-distance can meet.
    auto check_distance = [&](const char* flag, long d, const char* zero) {
      const long least = std::max(1L, o.min_prompt_distance);
      MVG_CHECK(d == 0 || d >= least, flag, " ", d, " must be 0 (", zero, ") or at least ", least,
                " (1 and --min-prompt-distance)");
    };
    check_distance("--seg-prompt-distance", o.seg_prompt_distance, "the same as --prompt-distance");
    check_distance("--late-prompt-distance", o.late_prompt_distance, "none");
    MVG_CHECK(o.late_from > 0 && o.late_from < 1, "--late-from ", o.late_from, " must lie in (0, 1)");
    MVG_CHECK(o.seg_first_weight >= 0 && o.seg_first_weight <= 1, "--seg-first-weight ", o.seg_first_weight,
              " must lie in [0, 1]");
    MVG_CHECK(o.self_prompts >= 0 && o.self_prompts <= 1, "--self-prompts ", o.self_prompts, " must lie in [0, 1]");
    MVG_CHECK(o.synthetic_regions >= 0 && o.synthetic_regions <= 1, "--synthetic-regions ", o.synthetic_regions,
              " must lie in [0, 1]");
    MVG_CHECK(o.background_weight > 0 && o.background_weight <= 1, "--background-weight ", o.background_weight,
              " must lie in (0, 1]");
    MVG_CHECK(o.finetune.empty() || o.start_from.empty(), "--finetune and --start-from both name a checkpoint to "
              "start from: pass one (--finetune: the encoder only; --start-from: every weight)");
    MVG_CHECK(!o.refine || o.pixel_skip, "--refine reads the pixels the pixel skip reads: pass --pixel-skip too");
    MVG_CHECK(!o.copy_gate || o.pixel_skip, "--copy-gate copies a pixel the pixel skip reads: pass --pixel-skip too");
    MVG_CHECK(!o.label_fusion || o.pixel_skip, "--label-fusion moves the prompt label the pixel skip reads: pass "
              "--pixel-skip too");
    MVG_CHECK(!o.fusion_holes || o.label_fusion, "--fusion-holes is a second label-fusion channel: pass "
              "--label-fusion too");
    MVG_CHECK(o.dataset_axis >= 0 && o.dataset_axis <= 2, "--dataset-axis ", o.dataset_axis, " must be 0, 1 or 2");
    MVG_CHECK(o.steps > 0 && o.batch > 0 && o.prompts > 0 && o.checkpoint_every > 0, "--steps, --batch, --prompts and "
              "--checkpoint-every must be positive");
  }

  void add_to(CLI::App& app) {
    auto& o = *this;
    app.add_option("--out", o.out, "run folder (created); holds model.safetensors, log.csv, loss.png")->required();
    app.add_option("--preset", o.preset, "model size: " + example::preset_list() + " (default: " +
                   example::preset_name + "; a resumed run keeps its own)");
    app.add_option("--data", o.data, "benchmark data folder (default: .cache/data of the repository)");
    app.add_option("--steps", o.steps, "training steps (the learning-rate schedule spans them)")->capture_default_str();
    app.add_option("--batch", o.batch, "samples per step (one task kind a step)")->capture_default_str();
    app.add_option("--lr", o.lr, "peak learning rate (warm-up, then cosine to 0)")->capture_default_str();
    app.add_option("--seed", o.seed, "seed of the weights and of the sampler")->capture_default_str();
    app.add_option("--threads", o.threads, "CPU threads (default: all)");
    app.add_flag("--resume", o.resume, "continue the run in --out from its last checkpoint, bit-exactly");
    app.add_option("--prompts", o.prompts, "prompt pairs per sample")->capture_default_str();
    app.add_option("--prompt-distance", o.prompt_distance,
                     "prompts come from training slices at most this many slices from the query (test prompts lie up "
                     "to ~19 slices away)")->capture_default_str();
    app.add_option("--min-prompt-distance", o.min_prompt_distance,
                     "training prompts come from at least this many slices away when the pool allows (test prompts lie "
                     "9-19 slices from S1-S3 queries)")->capture_default_str();
    app.add_option("--seg-prompt-distance", o.seg_prompt_distance,
                     "segmentation's own --prompt-distance (0: the same); denoising, inpainting and synthesis keep "
                     "--prompt-distance")->capture_default_str();
    app.add_option("--late-prompt-distance", o.late_prompt_distance,
                     "a near-to-far curriculum: from --late-from of the run on, every task's training prompts lie within "
                     "this many slices instead of --prompt-distance (0: one distance for the whole run; a --seg-prompt-distance "
                     "still bounds segmentation)")
        ->capture_default_str();
    app.add_option("--late-from", o.late_from, "share of --steps after which --late-prompt-distance applies")
        ->capture_default_str();
    app.add_option("--task-share", o.task_share, "task-kind mixture, e.g. 'segmentation=0.7,denoising=0.1,"
                     "inpainting=0.1,synthesis=0.1' (default: the paper's, segmentation 0.5, the others 1/6 each)");
    app.add_option("--set-weights", o.set_weights, "segmentation set draw weights, e.g. 'S2-regions=3,S3=3' "
                     "(others 1; 0 leaves a set out)");
    app.add_flag("--augment", o.augment, "augment every segmentation prompt pair and the query independently "
                 "(random resized crop, gamma, contrast, brightness)");
    app.add_option("--seg-first-weight", o.seg_first_weight, "weight of segmentation's first AR prediction, the one "
                     "with no prompt in view (random colors make it a guess; 1: the paper's plain mean)")
        ->capture_default_str();
    app.add_option("--tasks", o.tasks, "comma-separated sets/tasks of the bundled benchmark to train on (default: "
                   "every training task; with --dataset: none unless named here)");
    app.add_option("--dataset", o.datasets, "your own dataset: a Medical Segmentation Decathlon / nnU-Net raw folder "
                   "(dataset.json, imagesTr/, labelsTr/); repeat for more (docs/own-data.md)");
    app.add_option("--dataset-axis", o.dataset_axis, "axis of the NIfTI volumes that --dataset slices along "
                   "(2: the third voxel axis, axial in most scans)")->capture_default_str();
    app.add_option("--checkpoint-every", o.checkpoint_every, "steps between checkpoints")->capture_default_str();
    app.add_option("--clip", o.clip, "gradient-norm clipping (0: off)")->capture_default_str();
    app.add_option("--warmup", o.warmup, "warm-up as a fraction of --steps")->capture_default_str();
    app.add_option("--ar-share", o.ar_share, "autoregressive share of a task kind's steps, the rest MIM, e.g. "
                     "'denoising=1,synthesis=1' (default: the paper's segmentation=1, others 0.1)");
    app.add_option("--init", o.init, "weight init: timm (timm's: trunc-normal 0.02, the patch conv at PyTorch's default)"
                     " or mae (MAE's: xavier, sin-cos pos_embed; learns to read the prompt sooner, docs/design.md)")
        ->check(CLI::IsMember({"timm", "mae"}))
        ->capture_default_str();
    app.add_flag("--pretrain", o.pretrain, "masked image modeling on the training images alone (no labels; paper "
                 "Appendix B): the start for a later --finetune");
    app.add_option("--finetune", o.finetune, "start the encoder from this checkpoint (e.g. a --pretrain run's "
                     "model.safetensors); the decoder starts from --init");
    app.add_option("--start-from", o.start_from, "start every weight, encoder and decoder, from this checkpoint (a "
                     "trained MVG to fine-tune on other data or tasks); the optimizer and schedule start afresh");
    app.add_option("--support-of", o.support_of, "comma-separated test-only sets (U1-hemispheres, U1-parcels, U2) "
                     "whose support slices, their test prompts, are trained on; their queries stay unseen (paper Table "
                     "4: adapting to a new set from its labelled instances; name them in --tasks too)");
    app.add_option("--freeze", o.freeze, "comma-separated parameters kept at their initial (or --start-from) "
                     "values, e.g. 'pos_embed' (MAE keeps its sin-cos positions fixed; here they are learnable)");
    app.add_option("--lr-scale", o.lr_scale, "learning-rate multipliers for the parameters whose names contain a "
                     "pattern, e.g. 'qkv=4' (attention's q/k/v at 4x --lr; PyTorch's param groups; names as in "
                     "the checkpoint)");
    app.add_option("--position-heads", o.position_heads, "attention heads per block that start out attending to "
                     "the same position in every slot (a built-in stand-in for a pretrained encoder's positional "
                     "heads; docs/design.md)")->capture_default_str();
    app.add_flag("--pixel-skip", o.pixel_skip, "the decoder also sees the pixels of the query image, the prompt "
                   "label and the prompt image before its target, at full resolution (not in the paper: the "
                   "8-pixel patch grid alone predicts blobs; docs/design.md)");
    app.add_flag("--refine", o.refine, "with --pixel-skip: a second decoder stage at full resolution that reads the "
                   "head's features and the skip's pixels (not in the paper; docs/design.md)");
    app.add_flag("--copy-gate", o.copy_gate, "with --pixel-skip: per pixel, the decoder weighs its own value against "
                   "the prompt label's (a learned gate; not in the paper; docs/design.md)");
    app.add_flag("--label-fusion", o.label_fusion, "with --pixel-skip: the decoder also sees the prompt label carried "
                   "onto the query by patch-based label fusion (matching the query image's patches to the prompt "
                   "image's; not in the paper; docs/design.md)");
    app.add_flag("--fusion-holes", o.fusion_holes, "with --label-fusion: a second fused channel in which the query's "
                   "pixels that are exactly 0 (inpainting holes) do not count in the patch distance (not in the "
                   "paper; docs/design.md)");
    app.add_option("--self-prompts", o.self_prompts, "share of segmentation samples whose prompt pairs are the query "
                     "itself (the exact copy task: a lesson in reading where the prompt's label lies)")
        ->capture_default_str();
    app.add_option("--coloring", o.coloring, "segmentation label coloring (paper 3.2): random (gray levels drawn per "
                     "sample), binary (one class per sample, 1 on 0) or predefined (one fixed level per class of every "
                     "set, the paper's formula); mvg_eval colors as the model was trained")
        ->check(CLI::IsMember({"random", "binary", "predefined"}))
        ->capture_default_str();
    app.add_option("--precision", o.precision, example::precision_help())->capture_default_str();
    app.add_option("--synthetic-regions", o.synthetic_regions, "share of segmentation samples whose class is a random "
                   "region of the scan (a 3-D Voronoi cell cut to an intensity band), new every draw, so that only "
                   "reading the prompt finds it")->capture_default_str();
    app.add_option("--background-weight", o.background_weight, "loss weight of a segmentation label's background "
                   "pixels, foreground 1 (the released code's 0.1)")->capture_default_str();
    app.add_option("--until", o.until, "stop after this step (a partial run that --resume continues)");
  }
};

// What a state written before an option existed trained with: such a state resumes as that value.
inline std::map<std::string, std::string> defaults_of_older_states() {
  namespace ob = mvg::objectives;
  return {{"ar_share", ob::format_kind_shares(ob::hybrid_options{}.p_autoregressive)}, {"init", "timm"},
          {"pretrain", "0"}, {"finetune", ""}, {"task_share", ob::format_kind_shares(ob::hybrid_options{}.task_weight)},
          {"set_weights", ""}, {"min_prompt_distance", "0"}, {"augment", "0"},
          {"seg_first_weight", std::to_string(1.0)}, {"datasets", ""}, {"dataset_axis", "2"},
          {"self_prompts", std::to_string(0.0)}, {"start_from", ""}, {"support_of", ""}, {"freeze", ""},
          {"lr_scale", ""}, {"position_heads", "0"}, {"coloring", "random"}, {"pixel_skip", "0"},
          {"copy_gate", "0"}, {"refine", "0"}, {"label_fusion", "0"}, {"fusion_holes", "0"},
          {"background_weight", std::to_string(0.1)}, {"synthetic_regions", std::to_string(0.0)},
          {"seg_prompt_distance", "0"}, {"late_prompt_distance", "0"}, {"late_from", std::to_string(0.5)}};
}

}  // namespace example
