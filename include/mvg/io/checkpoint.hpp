// mvg/io/checkpoint.hpp: model weights as safetensors with timm-style names and PyTorch layouts,
// float32 on disk whatever the compute type. The header's __metadata__ carries
//   "mvg.format": "1", "mvg.config": {"image_size", "patch", "embed_dim", "depth", "heads",
//   "mlp_ratio", "decoder_channels"}, plus caller-supplied entries (e.g. "mvg.step").
// Loading checks the config against the compiled one and every tensor's presence, dtype and shape
// before changing any weight; a failed load leaves the model untouched.
#pragma once
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mvg/io/safetensors.hpp"
#include "mvg/nn/config.hpp"
#include "mvg/nn/conv_decoder.hpp"
#include "mvg/nn/parameters.hpp"

namespace mvg::io {

inline nlohmann::json config_json(const config& c) {
  return {{"image_size", c.image_size}, {"patch", c.patch},   {"embed_dim", c.embed_dim},
          {"depth", c.depth},           {"heads", c.heads},   {"mlp_ratio", c.mlp_ratio},
          {"decoder_channels", c.decoder_channels}};
}

// A checkpoint's "mvg.config" (from its metadata) as JSON, after checking "mvg.format".
inline nlohmann::json stored_config(const std::map<std::string, std::string>& md, const std::string& path) {
  auto fmt = md.find("mvg.format");
  MVG_CHECK(fmt != md.end() && fmt->second == "1", path, ": metadata 'mvg.format' must be \"1\"",
            fmt == md.end() ? " (missing)" : " (found \"" + fmt->second + "\")");
  auto it = md.find("mvg.config");
  MVG_CHECK(it != md.end(), path, ": metadata 'mvg.config' is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const std::exception& e) {
    ::mvg::detail::fail(path, ": metadata 'mvg.config' is not valid JSON (", e.what(), ")");
  }
  MVG_CHECK(j.is_object(), path, ": metadata 'mvg.config' must be a JSON object");
  return j;
}

// Throws unless the file's "mvg.config" equals c, naming the first field that differs.
inline void check_config(const safetensors_file& f, const config& c) {
  const nlohmann::json j = stored_config(f.metadata(), f.path());
  const auto want = config_json(c);
  for (auto w = want.begin(); w != want.end(); ++w) {
    MVG_CHECK(j.contains(w.key()), f.path(), ": mvg.config lacks '", w.key(), "' (this build expects ", w.value(), ")");
    const auto& got = j[w.key()];
    MVG_CHECK(got.is_number() && got == w.value(), f.path(), ": mvg.config '", w.key(), "' is ", got.dump(),
              " but this build's model has ", w.value().dump());
  }
}

// Throws unless f holds `key` with a float dtype and the shape `dims`.
inline void check_entry(const safetensors_file& f, const std::string& key, const shape& dims) {
  MVG_CHECK(f.contains(key), f.path(), ": tensor '", key, "' is missing");
  const auto& e = f.at(key);
  MVG_CHECK(e.dtype == "F32" || e.dtype == "F64", f.path(), ": tensor '", key, "' has dtype ", e.dtype,
            ", expected F32");
  MVG_CHECK(e.dims == dims, f.path(), ": tensor '", key, "' has shape ", e.dims.str(), ", expected ", dims.str());
}

// Throws unless every parameter is present in f under `prefix + name` with a float dtype and its shape.
template <class T, backend B>
void check_parameters(const param_set<T, B>& ps, const safetensors_file& f, const std::string& prefix = "") {
  for (const auto& p : ps.infos()) check_entry(f, prefix + p.name, p.dims);
}

// The decoder's optional modules (nn/conv_decoder.hpp): the tensor that says a checkpoint has one, how
// errors name it, and the decoder_options member that builds it.
struct optional_decoder_module {
  const char *tensor, *what, *flag, *field;
  bool nn::decoder_options::*option;
};
inline constexpr std::array<optional_decoder_module, 5> optional_decoder_modules{{
    {"decoder.skip.weight", "pixel skip", "--pixel-skip", ".pixel_skip", &nn::decoder_options::pixel_skip},
    {"decoder.gate.weight", "copy gate", "--copy-gate", ".copy_gate", &nn::decoder_options::copy_gate},
    {"decoder.refine.weight", "refinement", "--refine", ".refine", &nn::decoder_options::refine},
    {"decoder.fusion.weight", "label fusion", "--label-fusion", ".label_fusion", &nn::decoder_options::label_fusion},
    {"decoder.fusion_holes.weight", "fusion holes", "--fusion-holes", ".fusion_holes", &nn::decoder_options::fusion_holes},
}};

// Copies the parameters whose names pass `keep` from `prefix + name` in f (F32 or F64), after
// checking all of them, so a bad file changes no weight; the others keep their values.
// Returns how many tensors were copied.
// The decoder's optional modules (nn/conv_decoder.hpp) are refused, not dropped, when the model lacks them.
template <class T, backend B, class Keep>
std::size_t copy_parameters(param_set<T, B>& ps, const safetensors_file& f, const std::string& prefix, Keep keep) {
  for (const auto& p : ps.infos())
    if (keep(p.name)) check_entry(f, prefix + p.name, p.dims);
  for (const auto& m : optional_decoder_modules)
    MVG_CHECK(!f.contains(prefix + m.tensor) || ps.contains(m.tensor) || !keep(m.tensor), f.path(), ": tensor '",
              prefix + m.tensor, "' is the decoder's ", m.what, " (mvg_train ", m.flag, "), which this model lacks: "
              "build it with nn::decoder_options{", m.field, " = true}, as io::decoder_options_of(file) reads it");
  auto host = ps.values().to_host();
  std::size_t copied = 0;
  for (const auto& p : ps.infos())
    if (keep(p.name)) {
      const auto v = f.values<T>(prefix + p.name);
      std::copy(v.begin(), v.end(), host.begin() + p.offset);
      ++copied;
    }
  B::upload(host.data(), ps.values().data(), ps.numel());
  return copied;
}

// Copies every parameter from `prefix + name` in f, after checking all of them.
template <class T, backend B>
void load_parameters(param_set<T, B>& ps, const safetensors_file& f, const std::string& prefix = "") {
  copy_parameters(ps, f, prefix, [](const std::string&) { return true; });
}

// The parameters as float32 safetensors entries named `prefix + name` (values kept alive in f32).
template <class T, backend B>
void parameter_entries(const param_set<T, B>& ps, std::vector<float>& f32, std::vector<st_out>& out,
                       const std::string& prefix = "") {
  const auto host = ps.values().to_host();
  f32.assign(host.begin(), host.end());
  for (const auto& p : ps.infos()) out.push_back({prefix + p.name, "F32", p.dims, f32.data() + p.offset});
}

// The decoder a checkpoint's weights were trained with (model.safetensors or train_state.safetensors).
template <class File>
nn::decoder_options decoder_options_in(const File& f) {
  nn::decoder_options o;
  for (const auto& m : optional_decoder_modules)
    o.*m.option = f.contains(m.tensor) || f.contains(std::string("model.") + m.tensor);
  return o;
}
inline nn::decoder_options decoder_options_of(const safetensors_file& f) { return decoder_options_in(f); }
inline nn::decoder_options decoder_options_of(const std::string& path) {  // the header alone
  return decoder_options_in(safetensors_file::read_header(path));
}

// Writes the parameters (as float32) with the config and extra metadata, atomically.
template <class T, backend B>
void save_parameters(const std::string& path, const param_set<T, B>& ps, const config& c,
                     std::map<std::string, std::string> metadata = {}) {
  std::vector<float> f32;
  std::vector<st_out> out;
  parameter_entries(ps, f32, out);
  metadata["mvg.format"] = "1";
  metadata["mvg.config"] = config_json(c).dump();
  write_safetensors(path, out, metadata);
}

template <class Model>
void save_checkpoint(const std::string& path, const Model& m, std::map<std::string, std::string> metadata = {}) {
  save_parameters(path, m.parameters(), Model::cfg, std::move(metadata));
}

// Loads weights saved for the same config; returns the file's metadata.
template <class Model>
std::map<std::string, std::string> load_checkpoint(const std::string& path, Model& m) {
  const auto f = safetensors_file::read(path);
  check_config(f, Model::cfg);
  load_parameters(m.parameters(), f);
  return f.metadata();
}

// Fine-tuning from a pretrained model (timm's load_pretrained, MAE's --finetune): copies the
// parameters whose names pass `keep` from a checkpoint of the same config, after checking all of
// them; the others keep their values. Returns how many tensors were copied.
template <class Model, class Keep>
std::size_t load_pretrained(const std::string& path, Model& m, Keep keep) {
  const auto f = safetensors_file::read(path);
  check_config(f, Model::cfg);
  return copy_parameters(m.parameters(), f, "", keep);
}

}  // namespace mvg::io
