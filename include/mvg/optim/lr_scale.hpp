// mvg/optim/lr_scale.hpp: per-parameter learning-rate multipliers, what PyTorch users get from optimizer
// param groups with their own lr (e.g. a faster rate for attention's q/k/v than for the rest).
// A multiplier applies to every parameter whose name contains its pattern ("qkv" → blocks.*.attn.qkv.*);
// a parameter matched by several takes the last. AdamW's moments do not depend on the rate and its
// update, decoupled decay included, is linear in it, so the update made at lr, stretched by k, is
// exactly the update at k·lr: the optimizer's one fused pass stays as it is, and this header replays
// the stretch on the matched ranges of the one parameter buffer.
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "mvg/nn/parameters.hpp"

namespace mvg::optim {

struct lr_multiplier {
  std::string pattern;  // a substring of parameter names
  double factor = 1;
};

// The buffer ranges [offset, offset + count) and their factors; checks every pattern matches something.
struct lr_ranges {
  struct range {
    int64_t offset = 0, count = 0;
    double factor = 1;
  };
  std::vector<range> ranges;

  template <class T, backend B>
  static lr_ranges of(const param_set<T, B>& ps, const std::vector<lr_multiplier>& scales) {
    lr_ranges r;
    std::vector<double> factor(ps.infos().size(), 1.0);
    for (const auto& s : scales) {
      MVG_CHECK(s.factor > 0 && std::isfinite(s.factor), "lr multiplier '", s.pattern, "=", s.factor,
                "': the factor must be a positive number");
      bool any = false;
      for (std::size_t i = 0; i < ps.infos().size(); ++i)
        if (ps.infos()[i].name.find(s.pattern) != std::string::npos) factor[i] = s.factor, any = true;
      MVG_CHECK(any, "lr multiplier '", s.pattern, "': no parameter name contains it (names look like pos_embed, "
                "blocks.0.attn.qkv.weight, decoder.…)");
    }
    for (std::size_t i = 0; i < factor.size(); ++i)
      if (factor[i] != 1.0) {
        const auto& info = ps.infos()[i];
        r.ranges.push_back({info.offset, info.dims.numel(), factor[i]});
      }
    return r;
  }
  bool empty() const { return ranges.empty(); }
};

// Snapshot before the optimizer's step, stretch after it: p ← p₀ + k·(p − p₀) on every scaled range.
// Only the scaled ranges are copied, packed one after another.
template <class T, backend B>
class scaled_step {
public:
  explicit scaled_step(param_set<T, B>& ps, const lr_ranges& r) : ps_(&ps), r_(&r) {
    int64_t total = 0;
    for (const auto& rg : r.ranges) total += rg.count;
    if (total == 0) return;
    before_ = tensor<T, B>(shape{total});
    int64_t at = 0;
    for (const auto& rg : r.ranges) {
      B::copy(ps.values().data() + rg.offset, before_.data() + at, rg.count);
      at += rg.count;
    }
  }
  void finish() {
    int64_t at = 0;
    for (const auto& rg : r_->ranges) {
      const T k = T(rg.factor);
      B::parallel_for(rg.count, [=] MVG_HD(int64_t i, T* p, const T* p0) { p[i] = p0[i] + k * (p[i] - p0[i]); },
                      ps_->values().data() + rg.offset, before_.data() + at);
      at += rg.count;
    }
  }

private:
  param_set<T, B>* ps_;
  const lr_ranges* r_;
  tensor<T, B> before_;
};

}  // namespace mvg::optim
