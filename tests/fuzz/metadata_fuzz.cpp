// Fuzz target: the JSON a checkpoint carries — the input is spliced in as the header's __metadata__
// object of an otherwise valid training state, so the fuzzer works on the config JSON ("mvg.config"),
// the step and format fields and the JSON syntax around them, and the load must either succeed or end
// in mvg::error.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "micro_model.hpp"
#include "mvg/io/train_state.hpp"

namespace {
struct state_file {
  std::string tensors_json;  // the header's tensor entries, without braces
  std::string data;          // the data block
};

// A real training state of the micro model, split into its tensor entries and data block.
const state_file& real_state() {
  static const state_file s = [] {
    mvg_fuzz::micro_model m(1);
    mvg::optim::adamw<float, mvg::cpu> opt(m.parameters());
    const auto path = mvg_fuzz::scratch_file(".seed.safetensors");
    mvg::io::save_train_state(path.string(), m, opt);
    const auto f = mvg::io::safetensors_file::read(path.string());
    std::filesystem::remove(path);
    nlohmann::json header = nlohmann::json::object();
    std::size_t data_begin = 0;
    for (const auto& [name, e] : f.entries()) {
      header[name] = {{"dtype", e.dtype}, {"shape", std::vector<int64_t>(e.dims.begin(), e.dims.end())}, {"data_offsets", {e.begin, e.end}}};
      data_begin = std::max<std::size_t>(data_begin, e.end);
    }
    const std::string h = header.dump();
    state_file out;
    out.tensors_json = h.substr(1, h.size() - 2);
    out.data.assign(f.raw(f.entries().begin()->second) - f.entries().begin()->second.begin, data_begin);
    return out;
  }();
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static mvg_fuzz::micro_model m(0);
  static mvg::optim::adamw<float, mvg::cpu> opt(m.parameters());
  const auto& s = real_state();
  const std::string header =
      "{\"__metadata__\":" + std::string(reinterpret_cast<const char*>(data), size) + "," + s.tensors_json + "}";
  std::string file(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) file[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  file += header;
  file += s.data;
  mvg_fuzz::with_file(reinterpret_cast<const std::uint8_t*>(file.data()), file.size(), ".state.safetensors",
                      [](const auto& p) { mvg::io::load_train_state(p.string(), m, opt); });
  return 0;
}
