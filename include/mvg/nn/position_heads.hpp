// mvg/nn/position_heads.hpp: an init that gives some attention heads "the same place in another slot"
// from step 0 (an option, off by default; docs/design.md, "position heads").
// In-context segmentation needs a query token to read the prompt label's token at its own position.
// MAE's sin-cos table cannot offer that on a small grid: on 8×8 patches its 2-D code spans ≈ 8 useful
// directions, mostly low frequencies, so after LayerNorm a head sees neighbouring positions almost as
// alike as the same one, and learning the match is the plateau docs/results.md measures (a jump whose
// step depends on the seed). The paper's encoder starts from a pretrained MIM model, whose heads
// already attend by position; at this scale there is none to start from, so this builds such heads:
//   - a position code: pos_embed[j] += code[j], with code[j] = B·c_j, B a D×d orthonormal basis (d =
//     head_dim) orthogonal to the all-ones vector (LayerNorm's mean removal) and to the role
//     embeddings, c_j orthonormal when the grid has at most d tokens (else random unit vectors, nearly
//     orthogonal), scaled to the sin-cos table's RMS (1/√2 per channel);
//   - in every block, heads [0, n): W_q = W_k = gain·Bᵀ (q/k biases stay 0), so q_i·k_j ∝ code_i·code_j
//     plus what the content puts in B's span: tokens at one position, in every slot, attend to each other.
// Everything else keeps its scheme's values; the code and the basis come from their own generator, so
// n = 0 leaves a model bit-identical to one built without this.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "mvg/core/random.hpp"
#include "mvg/nn/config.hpp"
#include "mvg/nn/parameters.hpp"

namespace mvg::nn {

namespace detail {
// Gram-Schmidt of `v` against the unit vectors in `basis`; false when too little of it is left.
inline bool orthonormalize(std::vector<double>& v, const std::vector<std::vector<double>>& basis) {
  for (int pass = 0; pass < 2; ++pass)  // twice: classical Gram-Schmidt loses orthogonality in one pass
    for (const auto& b : basis) {
      double d = 0;
      for (std::size_t i = 0; i < v.size(); ++i) d += v[i] * b[i];
      for (std::size_t i = 0; i < v.size(); ++i) v[i] -= d * b[i];
    }
  double n = 0;
  for (double x : v) n += x * x;
  n = std::sqrt(n);
  if (n < 1e-6) return false;
  for (double& x : v) x /= n;
  return true;
}
inline std::vector<double> gaussian(std::size_t n, rng& g) {
  std::vector<double> v(n);
  for (double& x : v) x = g.normal();
  return v;
}
}  // namespace detail

struct position_heads_options {
  int heads = 0;      // per block; 0: off
  double gain = 1.0;  // scale of W_q and W_k on the code's span (1: what docs/design.md measured)
};

// Applies the init to an allocated and initialized parameter set of a model with config c.
template <class T, backend B>
void init_position_heads(param_set<T, B>& ps, const config& c, position_heads_options o, uint64_t seed) {
  if (o.heads == 0) return;
  const int64_t dim = c.embed_dim, hd = c.head_dim(), g = c.tokens_per_slot();
  MVG_CHECK(o.heads > 0 && o.heads <= c.heads, "position heads: ", o.heads, " per block, but the model has ", c.heads,
            " heads");
  MVG_CHECK(hd + 5 <= dim, "position heads: head_dim ", hd, " leaves no room in width ", dim,
            " beside the role embeddings");
  MVG_CHECK(o.gain > 0 && std::isfinite(o.gain), "position heads: gain ", o.gain, " must be positive");
  std::vector<T> host = ps.values().to_host();
  auto at = [&](const std::string& name) { return ps.infos()[ps.index_of(name)].offset; };

  // Directions the code must avoid: the all-ones vector and the four role embeddings.
  std::vector<std::vector<double>> avoid;
  std::vector<double> ones(static_cast<size_t>(dim), 1.0);
  detail::orthonormalize(ones, avoid);
  avoid.push_back(ones);
  const int64_t roles_at = at("role_embed");
  for (int r = 0; r < 4; ++r) {
    std::vector<double> v(host.begin() + roles_at + r * dim, host.begin() + roles_at + (r + 1) * dim);
    if (detail::orthonormalize(v, avoid)) avoid.push_back(v);
  }
  rng gen(seed ^ 0x70b17e5ac0de5eedull);
  std::vector<std::vector<double>> basis;  // hd unit vectors of length dim
  while (static_cast<int64_t>(basis.size()) < hd) {
    auto v = detail::gaussian(static_cast<size_t>(dim), gen);
    auto all = avoid;
    all.insert(all.end(), basis.begin(), basis.end());
    if (detail::orthonormalize(v, all)) basis.push_back(v);
  }
  std::vector<std::vector<double>> codes;  // g vectors of length hd
  for (int64_t j = 0; j < g; ++j) {
    auto v = detail::gaussian(static_cast<size_t>(hd), gen);
    if (j < hd) {
      while (!detail::orthonormalize(v, codes)) v = detail::gaussian(static_cast<size_t>(hd), gen);
    } else {
      detail::orthonormalize(v, {});
    }
    codes.push_back(v);
  }
  const double scale = std::sqrt(0.5 * double(dim));  // row norm of a table with RMS 1/√2 per channel
  const int64_t pos_at = at("pos_embed");
  for (int64_t j = 0; j < g; ++j)
    for (int64_t ch = 0; ch < dim; ++ch) {
      double s = 0;
      for (int64_t k = 0; k < hd; ++k) s += basis[size_t(k)][size_t(ch)] * codes[size_t(j)][size_t(k)];
      host[size_t(pos_at + j * dim + ch)] += static_cast<T>(scale * s);
    }
  for (int i = 0; i < c.depth; ++i) {
    const int64_t w = at("blocks." + std::to_string(i) + ".attn.qkv.weight");  // [3·dim, dim]: q, k, v rows
    for (int h = 0; h < o.heads; ++h)
      for (int64_t k = 0; k < hd; ++k)
        for (const int64_t part : {int64_t(0), dim}) {  // q rows, then k rows
          const int64_t row = part + h * hd + k;
          for (int64_t ch = 0; ch < dim; ++ch)
            host[size_t(w + row * dim + ch)] = static_cast<T>(o.gain * basis[size_t(k)][size_t(ch)]);
        }
  }
  B::upload(host.data(), ps.values().data(), ps.numel());
}

}  // namespace mvg::nn
