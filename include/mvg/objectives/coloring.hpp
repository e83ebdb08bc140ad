// mvg/objectives/coloring.hpp: in-context coloring (paper §3.2). Segmentation labels become single-
// channel "colors" (gray levels in [0, 1]) so every task is image → image; predictions are decoded
// back to classes by the nearest color among those the prompt used (plus background 0).
//   binary:      one class vs background per sample (color 1); N classes → N samples, N passes.
//   pre-defined: class n of dataset k has the fixed value Σ_{i<k} i·N_i + n (the paper's formula),
//                mapped to a gray level value/max_value; the same organ in two datasets differs.
//   random:      per sample, distinct gray levels drawn from a fixed palette for the classes
//                present; prompt and query labels share the mapping; background stays 0.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/prep/geometry.hpp"

namespace mvg::objectives {

using data::image2d;
using label_map = image2d<std::uint8_t>;
using color_image = image2d<float>;

enum class coloring_scheme { binary, predefined, random };

inline const char* coloring_name(coloring_scheme s) {
  return s == coloring_scheme::binary ? "binary" : s == coloring_scheme::predefined ? "predefined" : "random";
}
// "random", "binary" or "predefined"; `where` names the flag or metadata field in the error.
template <class Where>
coloring_scheme coloring_of(const std::string& name, const Where& where) {
  for (auto s : {coloring_scheme::random, coloring_scheme::binary, coloring_scheme::predefined})
    if (name == coloring_name(s)) return s;
  ::mvg::detail::fail(where, ": coloring '", name, "' is not one of random, binary, predefined");
}

// class id → gray level; background (class 0) is always 0.
struct color_mapping {
  std::map<int, float> colors;

  float color_of(int cls) const {
    if (cls == 0) return 0.f;
    auto it = colors.find(cls);
    MVG_CHECK(it != colors.end(), "coloring: class ", cls, " has no color in this mapping");
    return it->second;
  }
};

// The fixed palette random coloring draws from: `levels` gray values evenly spaced in [min_level, 1].
// Background 0 is kept apart from every class by at least min_level.
struct palette {
  int levels = 16;
  float min_level = 0.2f;
  float level(int i) const { return levels == 1 ? 1.f : min_level + (1.f - min_level) * float(i) / float(levels - 1); }
};

// The classes (not background) present in any of `labels`, ascending: what one coloring of a prompt
// (and its query) must give colors to. `labels` holds label maps or pointers to them.
template <class Labels>
std::vector<int> prompt_classes(const Labels& labels) {
  std::vector<bool> seen(256, false);
  for (const auto& l : labels) {
    if constexpr (std::is_pointer_v<std::decay_t<decltype(l)>>) {
      for (auto v : *l) seen[v] = true;
    } else {
      for (auto v : l) seen[v] = true;
    }
  }
  std::vector<int> out;
  for (int c = 1; c < 256; ++c)
    if (seen[c]) out.push_back(c);
  return out;
}
inline std::vector<int> classes_present(const label_map& l) { return prompt_classes(std::vector{&l}); }

// Random coloring: distinct palette levels for `classes`, drawn without replacement.
inline color_mapping random_mapping(const std::vector<int>& classes, rng& g, const palette& p = {}) {
  MVG_CHECK(static_cast<int>(classes.size()) <= p.levels, "random coloring: the prompts show ", classes.size(),
            " classes, more than the palette's ", p.levels, " gray levels; per-class and binary coloring take any "
            "number (one pass per class: mvg_infer --coloring per-class or --coloring binary)");
  std::vector<int> idx(static_cast<size_t>(p.levels));
  for (int i = 0; i < p.levels; ++i) idx[i] = i;
  color_mapping m;
  for (std::size_t k = 0; k < classes.size(); ++k) {  // partial Fisher–Yates
    const std::size_t j = k + static_cast<std::size_t>(g.below(idx.size() - k));
    std::swap(idx[k], idx[j]);
    m.colors[classes[k]] = p.level(idx[k]);
  }
  return m;
}

// Pre-defined coloring over K datasets with class counts N_1..N_K: class n (1-based) of dataset k
// (1-based) has value Σ_{i<k} i·N_i + n, scaled by the largest value so colors lie in (0, 1].
inline double predefined_value(const std::vector<int>& class_counts, int dataset, int cls) {
  MVG_CHECK(dataset >= 1 && dataset <= static_cast<int>(class_counts.size()), "predefined coloring: dataset ",
            dataset, " outside 1..", class_counts.size());
  MVG_CHECK(cls >= 1 && cls <= class_counts[dataset - 1], "predefined coloring: class ", cls, " outside 1..",
            class_counts[dataset - 1], " of dataset ", dataset);
  double v = cls;
  for (int i = 1; i < dataset; ++i) v += double(i) * class_counts[i - 1];
  return v;
}
inline color_mapping predefined_mapping(const std::vector<int>& class_counts, int dataset) {
  const int k = static_cast<int>(class_counts.size());
  const double vmax = predefined_value(class_counts, k, class_counts[k - 1]);
  color_mapping m;
  for (int c = 1; c <= class_counts[dataset - 1]; ++c)
    m.colors[c] = static_cast<float>(predefined_value(class_counts, dataset, c) / vmax);
  return m;
}

// Binary coloring of one class: that class → 1, everything else → 0.
inline color_mapping binary_mapping(int cls) {
  color_mapping m;
  m.colors[cls] = 1.f;
  return m;
}

// Colors a label map (classes without a color under a binary mapping become background).
inline color_image colorize(const label_map& l, const color_mapping& m, bool others_to_background = false) {
  color_image out = xt::zeros<float>(l.shape());
  for (std::size_t i = 0; i < l.size(); ++i) {
    const int c = l.flat(i);
    if (c == 0) continue;
    if (others_to_background && !m.colors.count(c)) continue;
    out.flat(i) = m.color_of(c);
  }
  return out;
}

// Where background ends, as a share of a class's level: a pixel is background when its prediction is at
// most threshold × the level of the nearest class color. 0.5 is the nearest-color rule. The objectives
// weigh background pixels w (0.1, sample.hpp), so under squared error a pixel whose foreground
// probability is p is predicted at level·p / (p + w(1 − p)): 0.5 of the level means p ≈ w / (1 + w),
// about 9%; the threshold that answers "p > 1/2" is 1 / (1 + w) ≈ 0.91 (docs/results.md, "Background
// weight, random regions and the decision threshold").
inline constexpr float nearest_color_threshold = 0.5f;

// Nearest color among the mapping's colors → class id; background where the prediction does not pass
// `threshold` of that color's level (0.5: the nearest of background and the colors, ties to background).
inline label_map decode(const color_image& pred, const color_mapping& m, float threshold = nearest_color_threshold) {
  label_map out = xt::zeros<std::uint8_t>(pred.shape());
  for (std::size_t i = 0; i < pred.size(); ++i) {
    const float v = pred.flat(i);
    int best = 0;
    float best_d = std::numeric_limits<float>::infinity(), best_col = 0.f;
    for (const auto& [cls, col] : m.colors) {
      const float d = std::abs(v - col);
      if (d < best_d) {
        best_d = d;
        best = cls;
        best_col = col;
      }
    }
    out.flat(i) = v > threshold * best_col ? static_cast<std::uint8_t>(best) : std::uint8_t{0};
  }
  return out;
}

// One pass per class, inference side: N per-class predictions, class k shown at gray level levels[k]
// on background 0, merged into one map — each pixel takes, among the classes whose prediction relative
// to its level exceeds that class's threshold, the one that exceeds it most (as a ratio); background
// where none does. One threshold for all (0.5: the nearest-color rule of each pass, made comparable
// across passes) is the plain argmax above it. The binary scheme is levels of 1.
inline label_map merge_per_class(const std::vector<color_image>& preds, const std::vector<int>& classes,
                                 const std::vector<float>& levels, const std::vector<float>& thresholds) {
  MVG_CHECK(!preds.empty() && preds.size() == classes.size() && levels.size() == classes.size() &&
                thresholds.size() == classes.size(),
            "merge_per_class: ", preds.size(), " predictions for ", classes.size(), " classes, ", levels.size(),
            " levels and ", thresholds.size(), " thresholds");
  label_map out = xt::zeros<std::uint8_t>(preds[0].shape());
  for (std::size_t i = 0; i < out.size(); ++i) {
    float best = 1.f;
    for (std::size_t k = 0; k < preds.size(); ++k) {
      const float ratio = preds[k].flat(i) / levels[k] / thresholds[k];
      if (ratio > best) {
        best = ratio;
        out.flat(i) = static_cast<std::uint8_t>(classes[k]);
      }
    }
  }
  return out;
}
inline label_map merge_per_class(const std::vector<color_image>& preds, const std::vector<int>& classes,
                                 const std::vector<float>& levels, float threshold = nearest_color_threshold) {
  return merge_per_class(preds, classes, levels, std::vector<float>(classes.size(), threshold));
}

// Prompt-area decoding, per class: the threshold (a share of the class's level) at which a pass's
// prediction covers as many pixels as the prompts show of that class on average, kept within
// [lo, hi]. The model says where a structure lies; neighbouring slices say how large it is, which the
// loss's background weight otherwise decides (nearest_color_threshold). With nothing prompted (the
// blank-prompt ablation) it is hi.
inline float prompt_area_threshold(const color_image& pred, float level, double prompt_pixels, float lo, float hi) {
  const auto n = static_cast<std::size_t>(std::llround(std::max(0.0, prompt_pixels)));
  if (n == 0) return hi;
  if (n >= pred.size()) return lo;
  std::vector<float> v(pred.begin(), pred.end());
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(n), v.end(), std::greater<float>());
  // The (n+1)-th largest prediction: exactly the n larger ones pass it (ties aside).
  return std::clamp(v[n] / level, lo, hi);
}

// Per class, its mean pixel count over the prompt labels as fed (all background in the prompt ablation):
// what prompt_area_threshold matches.
inline std::vector<double> mean_prompt_pixels(const std::vector<int>& classes, const std::vector<const label_map*>& fed) {
  MVG_CHECK(!fed.empty(), "prompt-area decoding: no prompt labels");
  std::vector<double> n(classes.size(), 0.0);
  for (const label_map* l : fed)
    for (std::size_t k = 0; k < classes.size(); ++k)
      n[k] += double(std::count(l->begin(), l->end(), static_cast<std::uint8_t>(classes[k])));
  for (double& v : n) v /= double(fed.size());
  return n;
}

// Binary scheme, inference side: each prediction ≈ 1 on its class; a pixel takes the class with the
// highest prediction if that exceeds `threshold`.
inline label_map merge_binary(const std::vector<color_image>& preds, const std::vector<int>& classes,
                              float threshold = nearest_color_threshold) {
  return merge_per_class(preds, classes, std::vector<float>(classes.size(), 1.f), threshold);
}

// Support-calibrated decoding, per class: the threshold (a share of the class's level) at which a pass's
// prediction of a labelled slice best matches that slice's label (IoU of `cls`), from `grid`, ties to the
// one nearest 0.5; 0.5 where the slice shows the class nowhere and the prediction passes no threshold.
inline float calibrated_threshold(const color_image& pred, float level, const label_map& truth, int cls,
                                  const std::vector<float>& grid) {
  MVG_CHECK(pred.size() == truth.size() && !grid.empty(), "calibrated_threshold: ", pred.size(), " predicted and ",
            truth.size(), " labelled pixels, ", grid.size(), " thresholds");
  float best = nearest_color_threshold;
  double best_iou = -1;
  for (float t : grid) {
    std::size_t inter = 0, uni = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) {
      const bool p = pred.flat(i) / level > t, g = truth.flat(i) == cls;
      inter += p && g, uni += p || g;
    }
    if (uni == 0) continue;
    const double iou = double(inter) / double(uni);
    if (iou > best_iou || (iou == best_iou && std::abs(t - 0.5f) < std::abs(best - 0.5f))) best_iou = iou, best = t;
  }
  return best;
}
inline std::vector<float> calibration_grid() {
  std::vector<float> g;
  for (int k = 5; k <= 17; ++k) g.push_back(0.05f * float(k));  // 0.25 … 0.85
  return g;
}

// One query's forward passes, as mvg_infer (objectives::segment) and mvg_eval (eval::model_segmenter)
// both answer it: one pass under one mapping (random, pre-defined), or one pass per class of the
// prompts (binary at level 1; random with one_class_per_pass at a random level each), merged.
struct coloring_passes {
  std::vector<int> classes;          // the prompts' classes, ascending
  std::vector<color_mapping> maps;   // one per pass
  bool per_class = false;
  float threshold = nearest_color_threshold;  // decode / merge_per_class
  // Per-class thresholds chosen elsewhere (calibrated_threshold, prompt_area_threshold); empty: the one above.
  std::vector<float> class_thresholds;

  // How a pass colors its prompt labels: a per-class pass shows its one class on background.
  color_image colorize_prompt(const label_map& l, std::size_t pass) const { return colorize(l, maps[pass], per_class); }
  // The passes' predictions, in pass order → one label map.
  label_map merge(const std::vector<color_image>& preds) const {
    MVG_CHECK(preds.size() == maps.size() && !maps.empty(), "coloring_passes: ", preds.size(), " predictions for ",
              maps.size(), " passes");
    if (!per_class) return decode(preds[0], maps[0], threshold);
    std::vector<float> levels;
    for (std::size_t k = 0; k < classes.size(); ++k) levels.push_back(maps[k].color_of(classes[k]));
    if (!class_thresholds.empty()) return merge_per_class(preds, classes, levels, class_thresholds);
    return merge_per_class(preds, classes, levels, threshold);
  }
};

// The passes for `classes` under a scheme; random draws from g (one mapping, or one per class in
// order). Pre-defined coloring needs the dataset's table: pass its mapping as `predefined`.
inline coloring_passes plan_passes(std::vector<int> classes, coloring_scheme scheme, bool one_class_per_pass, rng& g,
                                   const palette& p = {}, const color_mapping* predefined = nullptr) {
  coloring_passes out;
  out.classes = std::move(classes);
  out.per_class = scheme == coloring_scheme::binary ||
                  (scheme == coloring_scheme::random && one_class_per_pass && !out.classes.empty());
  if (scheme == coloring_scheme::predefined) {
    MVG_CHECK(predefined != nullptr, "pre-defined coloring needs the dataset's class table (the checkpoint's "
              "mvg.train.predefined_colors); binary or random coloring takes any prompt");
    out.maps.push_back(*predefined);
  } else if (out.per_class) {
    for (int c : out.classes)
      out.maps.push_back(scheme == coloring_scheme::binary ? binary_mapping(c) : random_mapping({c}, g, p));
  } else {
    out.maps.push_back(random_mapping(out.classes, g, p));
  }
  return out;
}

}  // namespace mvg::objectives
