// mvg/nn/parameters.hpp: every parameter of a model in one value buffer and one gradient buffer,
// with named views (timm names, PyTorch layouts). Modules declare their parameters while they are
// constructed and keep a param_ref; allocate() then lays the buffers out in declaration order.
// Optimizer steps, zero_grad, clipping, checkpoints and host↔device copies each touch one buffer.
#pragma once
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "mvg/autograd/tape.hpp"
#include "mvg/core/random.hpp"

namespace mvg {

// What a parameter is, for its init; the scheme below picks the draw for each.
// sincos_2d: MAE's fixed 2-D sine-cosine position embedding for a [1, G, D] table over a square grid
// (the first D/2 channels encode the column, the rest the row), used as the starting value of a
// learnable pos_embed so that "same position in another slot" is visible to attention from step 0.
// xavier_uniform: MAE's init of Linear weights, U(±√(6/(fan_in+fan_out))) with fan_out = dims[0],
// fan_in = the rest. torch_default: PyTorch's Conv2d/Linear default, U(±1/√fan_in) (kaiming_uniform
// with a = √5; for a bias, fan_in is its layer's, given at declare). patch_weight: the patch
// projection's Conv2d, which timm's init leaves at torch_default and MAE draws xavier_uniform as
// [D, p·p]. decoder_conv: the conv decoder's convolutions, PyTorch's default under mae (what MAE
// leaves on convolutions), 0.02 under timm (measured better for bone segmentation, docs/results.md).
// slot_normal: trunc-normal(0, 1/√2) cut at ±2σ, the RMS of a sin-cos table, for the role embedding:
// Painter, whose MAE-initialised canvas gives every slot its own sin-cos positions, tells slots apart
// at that scale from step 0, where 0.02 hides them (docs/design.md).
enum class init_kind {
  trunc_normal, zeros, ones, sincos_2d, xavier_uniform, torch_default, patch_weight, decoder_conv, slot_normal
};

// timm: timm's VisionTransformer init, trunc-normal(0, 0.02) on every Linear weight, table and token,
// the patch projection left at PyTorch's default (the default). mae: MAE's recipe above
// (docs/design.md, "init", for when each helps).
enum class init_scheme { timm, mae };

inline init_kind resolve(init_kind k, init_scheme s) {
  const bool timm = s == init_scheme::timm;
  switch (k) {
    case init_kind::patch_weight: return timm ? init_kind::torch_default : init_kind::xavier_uniform;
    case init_kind::decoder_conv: return timm ? init_kind::trunc_normal : init_kind::torch_default;
    case init_kind::sincos_2d:
    case init_kind::xavier_uniform:
    case init_kind::slot_normal: return timm ? init_kind::trunc_normal : k;
    default: return k;
  }
}

// MAE's get_2d_sincos_pos_embed (no class token): entry (token j = h·side + w, channel c).
inline double sincos_2d_value(int64_t side, int64_t dim, int64_t j, int64_t c) {
  const int64_t quarter = dim / 4, half = dim / 2;
  const int64_t pos = c < half ? j % side : j / side;  // column first, then row (MAE's meshgrid order)
  const int64_t k = (c % half) % quarter;
  const double omega = 1.0 / std::pow(10000.0, static_cast<double>(k) / static_cast<double>(quarter));
  return (c % half) < quarter ? std::sin(static_cast<double>(pos) * omega) : std::cos(static_cast<double>(pos) * omega);
}

struct param_info {
  std::string name;
  shape dims;
  int64_t offset = 0;
  init_kind init = init_kind::trunc_normal;
  bool decay = true;  // AdamW weight decay applies (weights), not (biases, norms, embeddings, tokens)
  int64_t fan_in = 0;  // > 0: the layer's fan_in, for a bias at torch_default; 0: from dims
};

template <class T, backend B>
class param_set {
public:
  // Declares a parameter; returns its index. Only valid before allocate().
  std::size_t declare(std::string name, shape dims, init_kind init, bool decay, int64_t fan_in = 0) {
    MVG_CHECK(!allocated(), "param_set: '", name, "' declared after allocation");
    MVG_CHECK(index_.count(name) == 0, "param_set: parameter '", name, "' declared twice");
    index_[name] = infos_.size();
    infos_.push_back({std::move(name), dims, total_, init, decay, fan_in});
    total_ += dims.numel();
    return infos_.size() - 1;
  }

  void allocate() {
    values_ = tensor<T, B>::zeros(shape{total_});
    grads_ = tensor<T, B>::zeros(shape{total_});
    vars_.clear();
    for (const auto& p : infos_)
      vars_.emplace_back(values_.view(p.offset, p.dims), grads_.view(p.offset, p.dims));
  }
  bool allocated() const { return values_.defined(); }

  // Zero biases, LayerNorm 1/0, and each weight by the scheme (trunc-normal(0, 0.02) cut at ±2
  // absolute, as torch.nn.init.trunc_normal_, under timm). Drawn on the host in declaration order,
  // so a seed and a scheme fix every value.
  void initialize(uint64_t seed, init_scheme scheme = init_scheme::timm) {
    rng g(seed);
    std::vector<T> host(static_cast<size_t>(total_));
    for (const auto& p : infos_) {
      const init_kind kind = resolve(p.init, scheme);
      if (kind == init_kind::sincos_2d) {
        fill_sincos(p, host);
        continue;
      }
      const double fan_out = p.dims.rank() >= 2 ? double(p.dims[0]) : 1.0;
      const double fan_in = p.fan_in > 0 ? double(p.fan_in) : double(p.dims.numel()) / fan_out;
      const double bound =
          kind == init_kind::xavier_uniform ? std::sqrt(6.0 / (fan_in + fan_out)) : 1.0 / std::sqrt(fan_in);
      const double sd = std::sqrt(0.5);  // slot_normal
      for (int64_t i = 0; i < p.dims.numel(); ++i) {
        T& v = host[static_cast<size_t>(p.offset + i)];
        v = kind == init_kind::ones ? T(1)
            : kind == init_kind::zeros ? T(0)
            : kind == init_kind::trunc_normal ? static_cast<T>(g.truncated_normal(0.0, 0.02, -2.0, 2.0))
            : kind == init_kind::slot_normal ? static_cast<T>(g.truncated_normal(0.0, sd, -2 * sd, 2 * sd))
                                              : static_cast<T>(g.uniform(-bound, bound));
      }
    }
    B::upload(host.data(), values_.data(), total_);
  }

  const var<T, B>& operator[](std::size_t i) const { return vars_[i]; }
  const var<T, B>& operator[](const std::string& name) const { return vars_[index_of(name)]; }
  std::size_t index_of(const std::string& name) const {
    auto it = index_.find(name);
    MVG_CHECK(it != index_.end(), "param_set: no parameter named '", name, "'");
    return it->second;
  }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  const std::vector<param_info>& infos() const { return infos_; }
  std::size_t size() const { return infos_.size(); }
  int64_t numel() const { return total_; }
  tensor<T, B>& values() { return values_; }
  const tensor<T, B>& values() const { return values_; }
  tensor<T, B>& grads() { return grads_; }
  const tensor<T, B>& grads() const { return grads_; }
  void zero_grad() { grads_.fill(T(0)); }

private:
  static void fill_sincos(const param_info& p, std::vector<T>& host) {
    const int64_t g = p.dims.rank() == 3 ? p.dims[1] : 0, d = p.dims.rank() == 3 ? p.dims[2] : 0;
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(g))));
    MVG_CHECK(p.dims.rank() == 3 && p.dims[0] == 1 && side * side == g && d % 4 == 0, "param_set: '", p.name,
              "' has shape ", p.dims.str(), "; a 2-D sin-cos init needs [1, side², D] with D divisible by 4");
    for (int64_t j = 0; j < g; ++j)
      for (int64_t c = 0; c < d; ++c)
        host[static_cast<size_t>(p.offset + j * d + c)] = static_cast<T>(sincos_2d_value(side, d, j, c));
  }

  std::vector<param_info> infos_;
  std::map<std::string, std::size_t> index_;
  std::vector<var<T, B>> vars_;
  tensor<T, B> values_, grads_;
  int64_t total_ = 0;
};

// A module's handle on one of its parameters.
template <class T, backend B>
struct param_ref {
  const param_set<T, B>* set = nullptr;
  std::size_t index = 0;
  const var<T, B>& operator()() const { return (*set)[index]; }
};

template <class T, backend B>
param_ref<T, B> declare(param_set<T, B>& ps, const std::string& name, shape dims, init_kind init, bool decay,
                        int64_t fan_in = 0) {
  return {&ps, ps.declare(name, dims, init, decay, fan_in)};
}

}  // namespace mvg
