// Fuzz target: a checkpoint file (safetensors). The header parse, every tensor's conversion, and the
// full load into a model (config metadata, names, dtypes, shapes) must end in mvg::error or success.
#include "fuzz_support.hpp"
#include "micro_model.hpp"
#include "mvg/io/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static mvg_fuzz::micro_model m(0);
  try {
    const auto f = mvg::io::safetensors_file::parse("fuzz.safetensors",
                                                    std::string(reinterpret_cast<const char*>(data), size));
    for (const auto& [name, e] : f.entries()) {
      if (e.dtype == "F32" || e.dtype == "F64" || e.dtype == "I64" || e.dtype == "I32" || e.dtype == "U8")
        (void)f.values<float>(name);
    }
  } catch (const mvg::error&) {
  }
  mvg_fuzz::with_file(data, size, ".safetensors", [](const auto& p) { mvg::io::load_checkpoint(p.string(), m); });
  return 0;
}
