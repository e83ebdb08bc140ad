// mvg/io/train_state.hpp: everything a training run needs to continue bit-exactly, in ONE
// safetensors file: the weights ("model.<name>"), the AdamW moments ("exp_avg.<name>",
// "exp_avg_sq.<name>"), and metadata ("mvg.config", "mvg.adamw.step", plus the caller's entries
// such as the step, the sampler's generator state and the run's options).
// One file because a job killed between two writes must never leave weights of step N beside
// moments of step M: the write is atomic (temp + fsync + rename), so the file on disk is always one
// whole, consistent state. The plain weights file (io/checkpoint.hpp) is written beside it for users.
// Loading checks the config, every tensor and the step before changing anything.
#pragma once
#include <map>
#include <string>

#include "mvg/io/checkpoint.hpp"
#include "mvg/io/optimizer_state.hpp"

namespace mvg::io {

template <class Model, class T, backend B>
void save_train_state(const std::string& path, const Model& m, optim::adamw<T, B>& opt,
                      std::map<std::string, std::string> metadata = {}) {
  std::vector<float> w32, m32, v32;
  std::vector<st_out> out;
  parameter_entries(m.parameters(), w32, out, "model.");
  detail::moment_entries(opt, m.parameters(), m32, v32, out);
  metadata["mvg.format"] = "1";
  metadata["mvg.config"] = config_json(Model::cfg).dump();
  metadata["mvg.adamw.step"] = std::to_string(opt.steps());
  write_safetensors(path, out, metadata);
}

// Restores weights and optimizer; returns the metadata. A failed load changes nothing.
template <class Model, class T, backend B>
std::map<std::string, std::string> load_train_state(const std::string& path, Model& m, optim::adamw<T, B>& opt) {
  const auto f = safetensors_file::read(path);
  check_config(f, Model::cfg);
  const int64_t step = detail::adamw_step(f);
  check_parameters(m.parameters(), f, "model.");
  detail::check_moments(f, m.parameters());
  load_parameters(m.parameters(), f, "model.");
  detail::read_moments(f, opt, m.parameters(), step);
  return f.metadata();
}

// A resumed run trains with the options it started with. `now`: this run's options (name → canonical
// text), stored by save_train_state's caller as "mvg.train.<name>"; `older`: what a state written before
// an option existed trained with. Throws naming the flag (--name, '_' as '-') and both values.
inline void check_resume_options(const std::map<std::string, std::string>& md,
                                 const std::map<std::string, std::string>& now,
                                 const std::map<std::string, std::string>& older, const std::string& file) {
  for (const auto& [k, v] : now) {
    const auto it = md.find("mvg.train." + k);
    const auto fallback = older.find(k);
    MVG_CHECK(it != md.end() || fallback != older.end(), file, ": metadata 'mvg.train.", k,
              "' is missing (not a state mvg_train wrote)");
    const std::string& saved = it != md.end() ? it->second : fallback->second;
    std::string flag = k;
    for (char& c : flag) c = c == '_' ? '-' : c;
    MVG_CHECK(saved == v, "--", flag, " is '", v, "' but the run in ", file, " used '", saved,
              "' (a resumed run keeps its options)");
  }
}

}  // namespace mvg::io
