// mvg/ops/pixel_shuffle.hpp: per-token patch features → an NCHW image (the decoder's "unpatchify").
//   x: [N, gh, gw, p·p·C] → y: [N, C, gh·p, gw·p] with
//   y[n, c, h·p + dy, w·p + dx] = x[n, h, w, (dy·p + dx)·C + c]   (SPEC §2's order)
// Note: torch.nn.PixelShuffle orders channels as c·p·p + dy·p + dx instead; ours keeps a pixel's
// channels adjacent, which is what a per-token Linear(4D → p·p·C) naturally emits.
#pragma once
#include "mvg/ops/detail.hpp"

namespace mvg::ops {

namespace detail {
struct shuffle_map {
  int64_t gh, gw, p, c;
  // Input offset of output element i (a bijection, used both ways).
  MVG_HD int64_t offset(int64_t i) const {
    const int64_t wd = gw * p, ht = gh * p;
    const int64_t xx = i % wd, yy = (i / wd) % ht, ch = (i / (wd * ht)) % c, n = i / (wd * ht * c);
    return (((n * gh + yy / p) * gw + xx / p) * p * p + (yy % p) * p + xx % p) * c + ch;
  }
  // CPU form: output row r = (n, ch, yy) reads x[row_base(r) + (patch·p·p + dx)·c] for its xx = patch·p + dx.
  int64_t rows() const { return gh * p * c; }  // per image
  int64_t row_base(int64_t r) const {
    const int64_t ht = gh * p, yy = r % ht, ch = (r / ht) % c, n = r / (ht * c);
    return ((n * gh + yy / p) * gw * p * p + (yy % p) * p) * c + ch;
  }
};

// y = shuffle(x) (Add = false) or gx += unshuffle(g) (Add = true), one output row per CPU iteration.
template <class T, backend B, bool Add>
void shuffle_rows(const shuffle_map& m, int64_t images, const T* x, T* y) {
  B::parallel_for_heavy(images * m.rows(), [=](int64_t r) {
    const int64_t base = m.row_base(r), wd = m.gw * m.p;
    for (int64_t pw = 0; pw < m.gw; ++pw)
      for (int64_t dx = 0; dx < m.p; ++dx) {
        const int64_t in = base + (pw * m.p * m.p + dx) * m.c, out = r * wd + pw * m.p + dx;
        if constexpr (Add)
          y[in] += x[out];
        else
          y[out] = x[in];
      }
  });
}
}  // namespace detail

template <class T, backend B>
var<T, B> pixel_shuffle(const var<T, B>& x, int64_t patch, int64_t channels) {
  const shape& s = x.shape();
  MVG_CHECK(s.rank() == 4 && s[3] == patch * patch * channels, "pixel_shuffle: input ", s.str(),
            " must be [N, gh, gw, ", patch * patch * channels, "] for patch ", patch, " and ", channels, " channels");
  const detail::shuffle_map m{s[1], s[2], patch, channels};
  tensor<T, B> y(shape{s[0], channels, s[1] * patch, s[2] * patch});
  const auto xp = x.value().data();
  const auto yp = y.data();
  if constexpr (massively_parallel<B>())
    B::parallel_for(y.numel(), [=] MVG_HD(int64_t i, const T* xp, T* yp) { yp[i] = xp[m.offset(i)]; }, xp, yp);
  else
    detail::shuffle_rows<T, B, false>(m, s[0], xp, yp);
  const bool rec = autograd::should_record(x);
  auto out = autograd::result(y, rec);
  detail::record(rec, [xs = x.slot(), os = out.slot(), m, images = s[0]] {
    if (!os->has()) return;
    const auto g = os->grad.data();
    const auto gx = xs->get().data();
    if constexpr (massively_parallel<B>())
      B::parallel_for(xs->shape.numel(), [=] MVG_HD(int64_t i, const T* g, T* gx) { gx[m.offset(i)] += g[i]; }, g, gx);
    else
      detail::shuffle_rows<T, B, true>(m, images, g, gx);
  });
  return out;
}

}  // namespace mvg::ops
