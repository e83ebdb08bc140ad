// mvg/ops/label_fusion.hpp: patch-based label fusion (non-local means over a search window): carries a
// prompt's label onto a query by matching image patches.
//   query, guide, values: [..., H, W], the same shape. For each pixel x of each image,
//   out(x) = Σ_δ w(x, δ)·values(x + δ) / Σ_δ w(x, δ),  δ ∈ [−radius, radius]²,
//   w(x, δ) = exp(−d(x, δ) / h²),  d(x, δ) = mean over the (2·patch + 1)² patch offsets p of
//   (query(x + p) − guide(x + δ + p))²,
// coordinates clamped to the image (edge pixels repeat). guide is the prompt's image and values its label,
// so out is the prompt label moved to where the query's image matches (Coupé et al. 2011, "Patch-based
// segmentation using expert priors"; Rousseau et al. 2011). With one prompt it is a soft label in the
// prompt label's units; it is a function of the data alone (no parameters, no gradient): the model's
// pixel skip reads it as one more input channel (nn/pixel_skip.hpp).
// With zero_is_missing, query pixels that are exactly 0 are missing data (inpainting holes are punched to 0,
// data/simulate/holes.hpp): d is the mean over the patch's other pixels, and a patch with none scores 0 at
// every offset (its weights are the window's mean). Without it a hole's flat patches match whatever is dark
// in the prompt (air, ventricles), and the hole is filled with that.
// No pixel's weights all underflow however far its patches are: scores are taken relative to the pixel's
// largest. Two forms of one formula: the GPU's is one thread per pixel (the online-softmax way: the running
// largest score rescales the sums); the CPU's takes an image plane at a time, each offset's patch sums as
// separable box sums and the exponentials in vectorisable rows (~10× fewer operations than per pixel;
// at the tiny preset the per-pixel form cost 0.2 s of a 0.6 s training step on one core).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "mvg/ops/softmax.hpp"

#include "mvg/core/error.hpp"
#include "mvg/tensor/tensor.hpp"

namespace mvg::ops {

struct fusion_options {
  int radius = 3;    // search window half side, pixels
  int patch = 2;     // patch half side, pixels
  float h = 0.05f;   // bandwidth, in image intensity units (images in [0, 1])
  bool zero_is_missing = false;  // query pixels exactly 0 do not count in a patch's distance
};

namespace detail {
struct fusion_map {
  int64_t height, width;
  int radius, patch;
  float inv_h2;
  bool zero_is_missing;

  static fusion_map of(int64_t height, int64_t width, const fusion_options& o) {
    return {height, width, o.radius, o.patch, 1.0f / (o.h * o.h), o.zero_is_missing};
  }

  MVG_HD static int64_t clamp(int64_t v, int64_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

  template <class T>
  MVG_HD T value(int64_t i, const T* query, const T* guide, const T* values) const {
    const int64_t plane = height * width, base = (i / plane) * plane, y = (i % plane) / width, x = i % width;
    const T* q = query + base;
    const T* g = guide + base;
    const T* v = values + base;
    const float patch_area = float((2 * patch + 1) * (2 * patch + 1));
    float best = 0.0f, sum_w = 0.0f, sum_v = 0.0f;
    bool first = true;
    for (int dy = -radius; dy <= radius; ++dy)
      for (int dx = -radius; dx <= radius; ++dx) {
        float d = 0.0f, counted = 0.0f;
        for (int py = -patch; py <= patch; ++py) {
          const int64_t qy = clamp(y + py, height - 1), gy = clamp(y + dy + py, height - 1);
          for (int px = -patch; px <= patch; ++px) {
            const float qv = float(q[qy * width + clamp(x + px, width - 1)]);
            if (zero_is_missing && qv == 0.0f) continue;
            const float a = qv - float(g[gy * width + clamp(x + dx + px, width - 1)]);
            d += a * a, counted += 1.0f;
          }
        }
        const float area = zero_is_missing ? counted : patch_area;
        const float s = area > 0.0f ? -d / area * inv_h2 : 0.0f;
        const float val = float(v[clamp(y + dy, height - 1) * width + clamp(x + dx, width - 1)]);
        if (first || s > best) {  // a new largest score: rescale what was summed so far
          const float scale = first ? 0.0f : std::exp(best - s);
          sum_w *= scale, sum_v *= scale, best = s, first = false;
        }
        const float w = std::exp(s - best);
        sum_w += w, sum_v += w * val;
      }
    return T(sum_v / sum_w);
  }

  // `planes` [H, W] value planes fused by one query/guide pair on the CPU: for each, the same values as
  // value() per pixel. The scores and weights depend on the images only, so they are computed once for all
  // value planes (the label-fusion baseline fuses every class of a prompt at once). The planes are first
  // copied edge-padded (the clamps done once), so every inner loop runs over contiguous floats.
  template <class T>
  void plane(const T* q, const T* g, const T* v, T* out, int64_t planes = 1) const {
    const int64_t hw = height * width, p = patch, r = radius, side = 2 * p + 1;
    const int64_t offsets = (2 * r + 1) * (2 * r + 1);
    const auto padded = [&](const T* im, int64_t by) {
      const int64_t ph = height + 2 * by, pw = width + 2 * by;
      std::vector<float> o(std::size_t(ph * pw));
      for (int64_t u = 0; u < ph; ++u)
        for (int64_t c = 0; c < pw; ++c)
          o[std::size_t(u * pw + c)] = float(im[clamp(u - by, height - 1) * width + clamp(c - by, width - 1)]);
      return o;
    };
    const auto qp = padded(q, p), gp = padded(g, p + r);
    const int64_t qw = width + 2 * p, gw = width + 2 * (p + r), vw = width + 2 * r, eh = height + 2 * p;
    const float scale = inv_h2 / float(side * side);
    const auto n = static_cast<std::size_t>(hw);
    std::vector<float> diff(std::size_t(eh * qw)), rows(std::size_t(eh * width)), weight(std::size_t(offsets) * n);
    std::vector<float> counted;  // with zero_is_missing: each patch's pixels that count
    if (zero_is_missing) {
      counted.assign(n, 0.0f);
      for (int64_t y = 0; y < height; ++y)
        for (int64_t j = 0; j < side; ++j)
          for (int64_t i = 0; i < side; ++i)
            for (int64_t x = 0; x < width; ++x)
              counted[std::size_t(y * width + x)] += qp[std::size_t((y + j) * qw + x + i)] != 0.0f ? 1.0f : 0.0f;
    }
    int64_t k = 0;
    for (int64_t dy = -r; dy <= r; ++dy)
      for (int64_t dx = -r; dx <= r; ++dx, ++k) {
        for (int64_t u = 0; u < eh; ++u) {  // squared differences over the patch-extended plane
          const float* qr = qp.data() + u * qw;
          const float* gr = gp.data() + (u + dy + r) * gw + dx + r;
          float* dr = diff.data() + u * qw;
          for (int64_t c = 0; c < qw; ++c)
            dr[c] = zero_is_missing && qr[c] == 0.0f ? 0.0f : (qr[c] - gr[c]) * (qr[c] - gr[c]);
        }
        std::fill(rows.begin(), rows.end(), 0.0f);
        for (int64_t u = 0; u < eh; ++u)  // box sums along rows, then along columns
          for (int64_t j = 0; j < side; ++j)
            for (int64_t x = 0; x < width; ++x) rows[std::size_t(u * width + x)] += diff[std::size_t(u * qw + x + j)];
        float* sc = weight.data() + k * hw;  // the scores first; weights below
        std::fill(sc, sc + hw, 0.0f);
        for (int64_t y = 0; y < height; ++y) {
          for (int64_t j = 0; j < side; ++j)
            for (int64_t x = 0; x < width; ++x) sc[y * width + x] += rows[std::size_t((y + j) * width + x)];
          if (zero_is_missing)
            for (int64_t x = 0; x < width; ++x) {
              const float c = counted[std::size_t(y * width + x)];
              sc[y * width + x] = c > 0.0f ? -sc[y * width + x] / c * inv_h2 : 0.0f;
            }
          else
            for (int64_t x = 0; x < width; ++x) sc[y * width + x] *= -scale;
        }
      }
    std::vector<float> best(weight.begin(), weight.begin() + hw), sum_w(n, 0.0f);
    for (k = 1; k < offsets; ++k)
      for (std::size_t i = 0; i < n; ++i) best[i] = std::max(best[i], weight[std::size_t(k) * n + i]);
    for (k = 0; k < offsets; ++k)
      for (std::size_t i = 0; i < n; ++i) {
        float& w = weight[std::size_t(k) * n + i];
        w = exp_nonpositive(w - best[i]);
        sum_w[i] += w;
      }
    std::vector<float> sum_v(n);
    for (int64_t plane_index = 0; plane_index < planes; ++plane_index) {
      const auto vp = padded(v + plane_index * hw, r);
      std::fill(sum_v.begin(), sum_v.end(), 0.0f);
      k = 0;
      for (int64_t dy = -r; dy <= r; ++dy)
        for (int64_t dx = -r; dx <= r; ++dx, ++k)
          for (int64_t y = 0; y < height; ++y) {
            const float* vr = vp.data() + (y + dy + r) * vw + dx + r;
            const float* wr = weight.data() + k * hw + y * width;
            float* sv = sum_v.data() + y * width;
            for (int64_t x = 0; x < width; ++x) sv[x] += wr[x] * vr[x];
          }
      T* o = out + plane_index * hw;
      for (std::size_t i = 0; i < n; ++i) o[i] = T(sum_v[i] / sum_w[i]);
    }
  }
};
}  // namespace detail

template <class T, backend B>
tensor<T, B> label_fusion(const tensor<T, B>& query, const tensor<T, B>& guide, const tensor<T, B>& values,
                          const fusion_options& o = {}) {
  const shape& s = query.shape();
  MVG_CHECK(s.rank() >= 2 && guide.shape() == s && values.shape() == s, "label_fusion: query ", s.str(), ", guide ",
            guide.shape().str(), " and values ", values.shape().str(), " must share one [..., H, W] shape");
  MVG_CHECK(s[s.rank() - 2] > 0 && s[s.rank() - 1] > 0, "label_fusion: images of shape ", s.str(), " have no pixels");
  MVG_CHECK(o.radius >= 0 && o.patch >= 0 && o.h > 0.0f, "label_fusion: radius ", o.radius, " and patch ", o.patch,
            " must be ≥ 0 and h ", o.h, " > 0");
  const auto m = detail::fusion_map::of(s[s.rank() - 2], s[s.rank() - 1], o);
  tensor<T, B> out(s);
  if constexpr (massively_parallel<B>()) {
    B::parallel_for(
        s.numel(), [=] MVG_HD(int64_t i, const T* q, const T* g, const T* v, T* y) { y[i] = m.value(i, q, g, v); },
        query.data(), guide.data(), values.data(), out.data());
  } else {
    const int64_t hw = m.height * m.width;
    B::parallel_for_heavy(
        s.numel() / hw,
        [=](int64_t i, const T* q, const T* g, const T* v, T* y) {
          m.plane(q + i * hw, g + i * hw, v + i * hw, y + i * hw);
        },
        query.data(), guide.data(), values.data(), out.data());
  }
  return out;
}

}  // namespace mvg::ops
