// examples/common/model_choice.hpp: the one place the example programs choose their model.
// The programs are built for every preset listed in MVG_EXAMPLE_PRESETS below and pick one at run time:
// mvg_train by --preset, mvg_infer and mvg_eval by the size stored in the checkpoint. A size of your own
// is one more line in that list (docs/examples.md, "Your own model size"). The library itself stays
// compile-time: each entry is a model<config, backend> type. CMake's -DMVG_PRESET (default tiny) names
// the default preset (`model_t`, `cfg`), and the backend policy is fixed at build time
// (-DMVG_EXAMPLES_BACKEND=cpu|cuda). Every layer is templated on scalar and backend only, so another
// preset adds the model-level code, not another copy of the ops.
#pragma once
#include <cstdio>
#include <mvg/io/safetensors.hpp>
#include <mvg/mvg.hpp>
#include <string>
#include <vector>
#if defined(MVG_EXAMPLE_BACKEND_CUDA)  // CMake -DMVG_EXAMPLES_BACKEND=cuda
#include <mvg/backend/cuda/cuda.hpp>
#endif

#ifndef MVG_EXAMPLE_PRESET
#define MVG_EXAMPLE_PRESET tiny
#endif
#define MVG_EXAMPLE_STR2(x) #x
#define MVG_EXAMPLE_STR(x) MVG_EXAMPLE_STR2(x)

namespace example {

inline constexpr mvg::config cfg = mvg::presets::MVG_EXAMPLE_PRESET;
inline constexpr const char* preset_name = MVG_EXAMPLE_STR(MVG_EXAMPLE_PRESET);
#if defined(MVG_EXAMPLE_BACKEND_CUDA)
using backend = mvg::cuda;  // the backend policy: changing this one type moves the programs
#else
using backend = mvg::cpu;
#endif
using model_t = mvg::model<cfg, backend>;
using optimizer_t = mvg::optim::adamw<model_t::scalar, backend>;
template <mvg::config C>
using model_of = mvg::model<C, backend>;
template <mvg::config C>
using optimizer_of = mvg::optim::adamw<typename model_of<C>::scalar, backend>;

// The presets the programs can run: X(name, config). Add your own size as one more entry, e.g.
//   X(mine, (mvg::config{.image_size = 96, .patch = 8, .embed_dim = 256, .depth = 8, .heads = 4}))
#define MVG_EXAMPLE_PRESETS(X)                                                                        \
  X(tiny, mvg::presets::tiny) X(small, mvg::presets::small) X(base, mvg::presets::base)             \
  X(large, mvg::presets::large)

inline std::vector<std::string> preset_names() {
  std::vector<std::string> n;
#define MVG_EXAMPLE_NAME(name, c) n.push_back(#name);
  MVG_EXAMPLE_PRESETS(MVG_EXAMPLE_NAME)
#undef MVG_EXAMPLE_NAME
  return n;
}

inline std::string preset_list() {
  std::string s;
  for (const auto& n : preset_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Runs f.template operator()<config>() for the preset called `name`; returns what f returns.
template <class F>
decltype(auto) with_preset(const std::string& name, F&& f) {
#define MVG_EXAMPLE_CALL(pname, c) \
  if (name == #pname) return f.template operator()<c>();
  MVG_EXAMPLE_PRESETS(MVG_EXAMPLE_CALL)
#undef MVG_EXAMPLE_CALL
  mvg::detail::fail("unknown preset '", name, "' (this build has ", preset_list(),
                    "; a size of your own is one line in examples/common/model_choice.hpp)");
}

// The preset whose config a checkpoint (model.safetensors or train_state.safetensors) was saved with.
inline std::string preset_of_checkpoint(const std::string& path) {
  const auto md = mvg::io::safetensors_file::read_metadata(path);  // the header only, not the weights
  const nlohmann::json j = mvg::io::stored_config(md, path);
  std::string found;
#define MVG_EXAMPLE_MATCH(pname, c) \
  if (found.empty() && j == mvg::io::config_json(c)) found = #pname;
  MVG_EXAMPLE_PRESETS(MVG_EXAMPLE_MATCH)
#undef MVG_EXAMPLE_MATCH
  MVG_CHECK(!found.empty(), path, ": its model size (mvg.config ", md.at("mvg.config"), ") is none of this build's "
            "presets (", preset_list(), "): add it as one line in examples/common/model_choice.hpp");
  return found;
}

// --precision: sets the backend's product precision (mvg/backend/precision.hpp) and says once, at
// start, when this machine cannot run it as asked. Returns the precision the products really use.
inline mvg::precision use_precision(const std::string& flag) {
  const mvg::precision asked = mvg::parse_precision(flag, "--precision");
  const mvg::precision got = backend::set_precision(asked);
  const std::string note = backend::precision_note(asked);
  if (!note.empty()) std::printf("%s\n", note.c_str());
  return got;
}
inline const char* precision_help() {
  return "matrix products: fp32, bf16 (bf16 operands, fp32 accumulation; AMX/AVX512-BF16 CPUs and GPUs, fp32 "
         "elsewhere) or tf32 (GPU)";
}

}  // namespace example
