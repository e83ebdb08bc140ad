// mvg/nn/parameters.hpp: every parameter of a model in one value buffer and one gradient buffer,
// with named views (timm names, PyTorch layouts). Modules declare their parameters while they are
// constructed and keep a param_ref; allocate() then lays the buffers out in declaration order.
// Optimizer steps, zero_grad, clipping, checkpoints and host↔device copies each touch one buffer.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "mvg/autograd/tape.hpp"
#include "mvg/core/random.hpp"

namespace mvg {

enum class init_kind { trunc_normal, zeros, ones };

struct param_info {
  std::string name;
  shape dims;
  int64_t offset = 0;
  init_kind init = init_kind::trunc_normal;
  bool decay = true;  // AdamW weight decay applies (weights), not (biases, norms, embeddings, tokens)
};

template <class T, backend B>
class param_set {
public:
  // Declares a parameter; returns its index. Only valid before allocate().
  std::size_t declare(std::string name, shape dims, init_kind init, bool decay) {
    MVG_CHECK(!allocated(), "param_set: '", name, "' declared after allocation");
    MVG_CHECK(index_.count(name) == 0, "param_set: parameter '", name, "' declared twice");
    index_[name] = infos_.size();
    infos_.push_back({std::move(name), dims, total_, init, decay});
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

  // timm's init: trunc-normal(0, 0.02) cut at ±2 (absolute, as torch.nn.init.trunc_normal_), zero
  // biases, LayerNorm 1/0. Drawn on the host in declaration order, so a seed fixes every value.
  void initialize(uint64_t seed) {
    rng g(seed);
    std::vector<T> host(static_cast<size_t>(total_));
    for (const auto& p : infos_)
      for (int64_t i = 0; i < p.dims.numel(); ++i) {
        T& v = host[static_cast<size_t>(p.offset + i)];
        v = p.init == init_kind::ones ? T(1)
            : p.init == init_kind::zeros ? T(0)
                                          : static_cast<T>(g.truncated_normal(0.0, 0.02, -2.0, 2.0));
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
param_ref<T, B> declare(param_set<T, B>& ps, const std::string& name, shape dims, init_kind init, bool decay) {
  return {&ps, ps.declare(name, dims, init, decay)};
}

}  // namespace mvg
