// mvg/io/optimizer_state.hpp: the AdamW state as safetensors entries, for the train-state file
// (train_state.hpp): tensors "exp_avg.<param>" and "exp_avg_sq.<param>" (float32, the parameter's
// shape) and metadata "mvg.adamw.step". Loading validates every tensor before changing any state.
#pragma once
#include <string>

#include "mvg/io/checkpoint.hpp"
#include "mvg/io/safetensors.hpp"
#include "mvg/optim/adamw.hpp"

namespace mvg::io {

namespace detail {
// The AdamW moments as safetensors entries (float32 copies kept alive in m32/v32).
template <class T, backend B>
void moment_entries(optim::adamw<T, B>& opt, const param_set<T, B>& ps, std::vector<float>& m32,
                    std::vector<float>& v32, std::vector<st_out>& out) {
  const auto m = opt.exp_avg().to_host(), v = opt.exp_avg_sq().to_host();
  m32.assign(m.begin(), m.end()), v32.assign(v.begin(), v.end());
  for (const auto& p : ps.infos()) {
    out.push_back({"exp_avg." + p.name, "F32", p.dims, m32.data() + p.offset});
    out.push_back({"exp_avg_sq." + p.name, "F32", p.dims, v32.data() + p.offset});
  }
}

inline int64_t adamw_step(const safetensors_file& f) {
  auto it = f.metadata().find("mvg.adamw.step");
  MVG_CHECK(it != f.metadata().end(), f.path(), ": metadata 'mvg.adamw.step' is missing");
  int64_t step = -1;
  try {
    std::size_t used = 0;
    step = std::stoll(it->second, &used);
    if (used != it->second.size()) step = -1;
  } catch (const std::exception&) {
  }
  MVG_CHECK(step >= 0, f.path(), ": metadata 'mvg.adamw.step' is '", it->second,
            "', expected a non-negative integer");
  return step;
}

// Throws unless every moment tensor is present with a float dtype and its parameter's shape.
template <class T, backend B>
void check_moments(const safetensors_file& f, const param_set<T, B>& ps) {
  check_parameters(ps, f, "exp_avg.");
  check_parameters(ps, f, "exp_avg_sq.");
}

// Copies checked moments and the step into the optimizer.
template <class T, backend B>
void read_moments(const safetensors_file& f, optim::adamw<T, B>& opt, const param_set<T, B>& ps, int64_t step) {
  std::vector<T> m(static_cast<size_t>(ps.numel())), v(static_cast<size_t>(ps.numel()));
  for (const auto& p : ps.infos()) {
    const auto a = f.values<T>("exp_avg." + p.name), b = f.values<T>("exp_avg_sq." + p.name);
    std::copy(a.begin(), a.end(), m.begin() + p.offset);
    std::copy(b.begin(), b.end(), v.begin() + p.offset);
  }
  B::upload(m.data(), opt.exp_avg().data(), ps.numel());
  B::upload(v.data(), opt.exp_avg_sq().data(), ps.numel());
  opt.set_steps(step);
}
}  // namespace detail

}  // namespace mvg::io
