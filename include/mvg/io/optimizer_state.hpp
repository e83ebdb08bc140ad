// mvg/io/optimizer_state.hpp: AdamW state beside a checkpoint, in a companion safetensors file
// (the PyTorch habit of a separate optimizer state_dict): tensors "exp_avg.<param>" and
// "exp_avg_sq.<param>" (float32, the parameter's shape) and metadata "mvg.adamw.step".
// Loading validates every tensor before changing any state.
#pragma once
#include <string>

#include "mvg/io/safetensors.hpp"
#include "mvg/optim/adamw.hpp"

namespace mvg::io {

template <class T, backend B>
void save_optimizer(const std::string& path, optim::adamw<T, B>& opt, const param_set<T, B>& ps) {
  const auto m = opt.exp_avg().to_host(), v = opt.exp_avg_sq().to_host();
  std::vector<float> m32(m.begin(), m.end()), v32(v.begin(), v.end());
  std::vector<st_out> out;
  for (const auto& p : ps.infos()) {
    out.push_back({"exp_avg." + p.name, "F32", p.dims, m32.data() + p.offset});
    out.push_back({"exp_avg_sq." + p.name, "F32", p.dims, v32.data() + p.offset});
  }
  write_safetensors(path, out, {{"mvg.format", "1"}, {"mvg.adamw.step", std::to_string(opt.steps())}});
}

template <class T, backend B>
void load_optimizer(const std::string& path, optim::adamw<T, B>& opt, const param_set<T, B>& ps) {
  const auto f = safetensors_file::read(path);
  auto it = f.metadata().find("mvg.adamw.step");
  MVG_CHECK(it != f.metadata().end(), path, ": metadata 'mvg.adamw.step' is missing");
  int64_t step = -1;
  try {
    step = std::stoll(it->second);
  } catch (const std::exception&) {
  }
  MVG_CHECK(step >= 0, path, ": metadata 'mvg.adamw.step' is '", it->second, "', expected a non-negative integer");
  for (const auto& p : ps.infos())
    for (const char* kind : {"exp_avg.", "exp_avg_sq."}) {
      const std::string key = kind + p.name;
      MVG_CHECK(f.contains(key), path, ": tensor '", key, "' is missing");
      const auto& e = f.at(key);
      MVG_CHECK(e.dtype == "F32" || e.dtype == "F64", path, ": tensor '", key, "' has dtype ", e.dtype,
                ", expected F32");
      MVG_CHECK(e.dims == p.dims, path, ": tensor '", key, "' has shape ", e.dims.str(), ", expected ", p.dims.str());
    }
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

}  // namespace mvg::io
