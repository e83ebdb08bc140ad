// mvg/io/safetensors.hpp: the safetensors format (8-byte LE header length, JSON header, raw LE data),
// as PyTorch/Hugging Face users exchange weights in. Reading validates everything before touching
// data: header length within the file and below a limit, JSON well-formed, every tensor's dtype
// known, shape non-negative, offsets ordered, inside the data block and equal to numel·itemsize.
// Errors name the file, the tensor and the problem.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/shape.hpp"
#include "mvg/io/atomic_file.hpp"

namespace mvg::io {

struct safetensors_limits {
  static constexpr uint64_t max_header_bytes = 100ull << 20;  // the reference implementation's limit
  static constexpr uint64_t max_file_bytes = 64ull << 30;
};

inline std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

struct st_entry {
  std::string dtype;
  shape dims;
  uint64_t begin = 0, end = 0;  // byte offsets into the data block
};

class safetensors_file {
public:
  static safetensors_file read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    MVG_CHECK(in, path, ": cannot open safetensors file");
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    MVG_CHECK(size <= safetensors_limits::max_file_bytes, path, ": file of ", size, " bytes exceeds the ",
              safetensors_limits::max_file_bytes, "-byte limit");
    std::string bytes(size, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    MVG_CHECK(in.gcount() == static_cast<std::streamsize>(size), path, ": short read");
    return parse(path, std::move(bytes));
  }

  // The metadata alone: the 8-byte length and the JSON header are read, the tensors are not (a
  // program learns a checkpoint's size before it loads the weights, without reading them twice).
  static std::map<std::string, std::string> read_metadata(const std::string& path) {
    return metadata_of(read_header(path), path);
  }

  // The 8-byte length and the JSON header, parsed; the tensors are not read.
  static nlohmann::json read_header(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    MVG_CHECK(in, path, ": cannot open safetensors file");
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    std::string bytes(static_cast<std::size_t>(std::min<uint64_t>(size, 8)), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const uint64_t n = header_length(path, bytes, size);
    bytes.resize(8 + n);
    in.read(bytes.data() + 8, static_cast<std::streamsize>(n));
    MVG_CHECK(in.gcount() == static_cast<std::streamsize>(n), path, ": short read");
    return parse_header(path, bytes, n);
  }

  static safetensors_file parse(const std::string& path, std::string bytes) {
    safetensors_file f;
    f.path_ = path;
    const uint64_t n = header_length(path, bytes, bytes.size());
    const nlohmann::json header = parse_header(path, bytes, n);
    f.metadata_ = metadata_of(header, path);
    f.data_offset_ = 8 + n;
    const uint64_t data_size = bytes.size() - f.data_offset_;
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      const auto& v = it.value();
      if (name == "__metadata__") continue;
      MVG_CHECK(v.is_object() && v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"), path,
                ": tensor '", name, "' needs dtype, shape and data_offsets");
      st_entry e;
      MVG_CHECK(v["dtype"].is_string(), path, ": tensor '", name, "': dtype must be a string");
      e.dtype = v["dtype"].get<std::string>();
      const std::size_t item = dtype_size(e.dtype);
      MVG_CHECK(item != 0, path, ": tensor '", name, "': unknown dtype '", e.dtype, "'");
      MVG_CHECK(v["shape"].is_array() && v["shape"].size() <= shape::max_rank, path, ": tensor '", name,
                "': shape must be an array of at most ", shape::max_rank, " dimensions");
      uint64_t numel = 1;
      for (const auto& d : v["shape"]) {
        MVG_CHECK(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0), path, ": tensor '",
                  name, "': shape entries must be non-negative integers");
        const uint64_t dv = d.get<uint64_t>();
        MVG_CHECK(dv < (1ull << 62) && (dv == 0 || numel <= data_size / dv), path, ": tensor '", name,
                  "': shape ", v["shape"].dump(), " cannot fit in the ", data_size, "-byte data block");
        numel *= dv;
        e.dims.push_back(static_cast<int64_t>(dv));
      }
      const auto& off = v["data_offsets"];
      MVG_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
                path, ": tensor '", name, "': data_offsets must be two non-negative integers");
      e.begin = off[0].get<uint64_t>();
      e.end = off[1].get<uint64_t>();
      MVG_CHECK(e.begin <= e.end && e.end <= data_size, path, ": tensor '", name, "': data_offsets [", e.begin, ", ",
                e.end, "] outside the ", data_size, "-byte data block");
      MVG_CHECK(e.end - e.begin == numel * item, path, ": tensor '", name, "': ", e.end - e.begin,
                " bytes do not hold shape ", e.dims.str(), " of ", e.dtype, " (", numel * item, " bytes expected)");
      f.entries_[name] = e;
    }
    f.bytes_ = std::move(bytes);
    return f;
  }

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::map<std::string, st_entry>& entries() const { return entries_; }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const st_entry& at(const std::string& name) const {
    auto it = entries_.find(name);
    MVG_CHECK(it != entries_.end(), path_, ": tensor '", name, "' is missing");
    return it->second;
  }
  const char* raw(const st_entry& e) const { return bytes_.data() + data_offset_ + e.begin; }

  // The tensor's values converted to T (from F32 or F64; integers for I64/I32/U8).
  template <class T>
  std::vector<T> values(const std::string& name) const {
    const st_entry& e = at(name);
    const std::size_t n = static_cast<std::size_t>(e.dims.numel());
    std::vector<T> out(n);
    const char* p = raw(e);
    auto convert = [&](auto tag) {
      using S = decltype(tag);
      for (std::size_t i = 0; i < n; ++i) {
        S s;
        std::memcpy(&s, p + i * sizeof(S), sizeof(S));  // unaligned-safe
        out[i] = static_cast<T>(s);
      }
    };
    if (e.dtype == "F32") convert(float{});
    else if (e.dtype == "F64") convert(double{});
    else if (e.dtype == "I64") convert(int64_t{});
    else if (e.dtype == "I32") convert(int32_t{});
    else if (e.dtype == "U8" || e.dtype == "BOOL") convert(uint8_t{});
    else ::mvg::detail::fail(path_, ": tensor '", name, "': dtype ", e.dtype, " cannot be converted");
    return out;
  }

private:
  // The header's length from the first 8 bytes of a `file_size`-byte file, checked against both.
  static uint64_t header_length(const std::string& path, const std::string& first, uint64_t file_size) {
    MVG_CHECK(file_size >= 8 && first.size() >= 8, path, ": ", file_size, " bytes is too short for a safetensors header");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(first[i]);
    MVG_CHECK(n <= safetensors_limits::max_header_bytes, path, ": header length ", n, " exceeds the limit of ",
              safetensors_limits::max_header_bytes);
    MVG_CHECK(n <= file_size - 8, path, ": header length ", n, " runs past the end of the ", file_size, "-byte file");
    return n;
  }
  static nlohmann::json parse_header(const std::string& path, const std::string& bytes, uint64_t n) {
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    } catch (const std::exception& e) {
      ::mvg::detail::fail(path, ": header is not valid JSON (", e.what(), ")");
    }
    MVG_CHECK(header.is_object(), path, ": header must be a JSON object");
    return header;
  }
  static std::map<std::string, std::string> metadata_of(const nlohmann::json& header, const std::string& path) {
    std::map<std::string, std::string> md;
    const auto it = header.find("__metadata__");
    if (it == header.end()) return md;
    MVG_CHECK(it->is_object(), path, ": __metadata__ must be an object of strings");
    for (auto m = it->begin(); m != it->end(); ++m) {
      MVG_CHECK(m.value().is_string(), path, ": __metadata__[\"", m.key(), "\"] must be a string");
      md[m.key()] = m.value().get<std::string>();
    }
    return md;
  }

  std::string path_;
  std::string bytes_;
  uint64_t data_offset_ = 0;
  std::map<std::string, st_entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// One tensor to write: raw little-endian bytes of `dtype`.
struct st_out {
  std::string name, dtype;
  shape dims;
  const void* data;
};

inline void write_safetensors(const std::string& path, const std::vector<st_out>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::size_t item = dtype_size(t.dtype);
    MVG_CHECK(item != 0, path, ": tensor '", t.name, "': unknown dtype '", t.dtype, "'");
    const uint64_t bytes = static_cast<uint64_t>(t.dims.numel()) * item;
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", std::vector<int64_t>(t.dims.begin(), t.dims.end())},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  write_atomically(path, [&](auto&& sink) {
    char len[8];
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    sink(len, 8);
    sink(h.data(), h.size());
    for (const auto& t : tensors)
      sink(static_cast<const char*>(t.data), static_cast<std::size_t>(t.dims.numel()) * dtype_size(t.dtype));
  });
}

}  // namespace mvg::io
