// mvg/data/benchmark/manifest.hpp: the committed benchmark manifest (data/benchmark.manifest) and where the
// data lives. Contract: "file <id> <path>", "set <name> key=value…" (segmentation sets) and
// "pairs <name> key=value…" (image-to-image tasks: denoising, inpainting, synthesis; image/target may
// list several file ids separated by commas) lines, '#' comments; every
// malformed line, unknown key, undefined file id or overlapping slab is an mvg::error naming the
// manifest and the line number. Parsing touches no data file.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::data {

struct slab {
  std::size_t first = 0, last = 0;  // inclusive slice indices
  bool contains(std::size_t i) const { return i >= first && i <= last; }
};

struct set_spec {
  std::string name;
  std::map<std::string, std::string> keys;  // the raw key=value pairs
  std::vector<slab> train, test;
  std::vector<slab> support;  // pairs lines: prompt-only slabs of a test-only task (D3)
  std::size_t support_every = 0, query_gap = 0;
  int line = 0;

  bool test_only() const { return support_every > 0; }
  const std::string& get(const std::string& key, const std::string& manifest) const {
    auto it = keys.find(key);
    MVG_CHECK(it != keys.end(), manifest, ": line ", line, ": set ", name, " needs key '", key, "'");
    return it->second;
  }
  std::string get_or(const std::string& key, const std::string& fallback) const {
    auto it = keys.find(key);
    return it == keys.end() ? fallback : it->second;
  }
};

struct manifest {
  std::filesystem::path path;
  std::map<std::string, std::string> files;  // id -> path relative to the data directory
  std::vector<set_spec> sets;
  std::vector<set_spec> pairs;  // image-to-image tasks (image_tasks.hpp)
};

namespace detail {

inline std::uint64_t manifest_uint(const std::string& v, const std::string& where) {
  MVG_CHECK(!v.empty() && v.size() < 12 && v.find_first_not_of("0123456789") == std::string::npos, where,
            ": '", v, "' is not a non-negative integer");
  return std::stoull(v);
}

inline std::vector<slab> manifest_slabs(const std::string& v, const std::string& where) {
  std::vector<slab> out;
  std::stringstream ss(v);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto dash = part.find('-');
    MVG_CHECK(dash != std::string::npos, where, ": slab '", part, "' is not first-last");
    slab s{manifest_uint(part.substr(0, dash), where), manifest_uint(part.substr(dash + 1), where)};
    MVG_CHECK(s.first <= s.last, where, ": slab '", part, "' runs backwards");
    for (const auto& o : out)
      MVG_CHECK(s.last < o.first || s.first > o.last, where, ": slab '", part, "' overlaps another slab");
    out.push_back(s);
  }
  MVG_CHECK(!out.empty(), where, ": empty slab list");
  return out;
}

// "<kind> <name> key=value ..." → a spec with its line, name and keys; the name must be new among
// `taken` and every key one of `known`.
inline set_spec manifest_entry(std::istringstream& ls, const std::string& kind, int no, const std::string& where,
                               const std::set<std::string>& known, const std::vector<set_spec>& taken) {
  set_spec s;
  s.line = no;
  MVG_CHECK(static_cast<bool>(ls >> s.name), where, ": expected '", kind, " <name> key=value...'");
  for (const auto& o : taken) MVG_CHECK(o.name != s.name, where, ": ", kind, " '", s.name, "' defined twice");
  for (std::string kv; ls >> kv;) {
    const auto eq = kv.find('=');
    MVG_CHECK(eq != std::string::npos && eq > 0, where, ": '", kv, "' is not key=value");
    const std::string key = kv.substr(0, eq);
    MVG_CHECK(known.count(key), where, ": unknown key '", key, "'");
    s.keys[key] = kv.substr(eq + 1);
  }
  return s;
}

}  // namespace detail

inline manifest read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  MVG_CHECK(in.good(), path.string(), ": cannot open benchmark manifest");
  manifest m;
  m.path = path;
  static const std::set<std::string> known = {"image", "labels", "table", "task", "threshold", "largest", "axis",
                                              "orient", "norm", "train", "test", "guard_mm", "support_every",
                                              "query_gap", "min_fg", "seed", "class", "prefix", "hold_out",
                                              "hold_out_seed",
                                              // pairs lines
                                              "recipe", "target", "dose", "sigma_pct", "support"};
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    const std::string where = path.string() + ": line " + std::to_string(no);
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    std::string kind;
    if (!(ls >> kind)) continue;
    if (kind == "file") {
      std::string id, rel, extra;
      MVG_CHECK(static_cast<bool>(ls >> id >> rel) && !(ls >> extra), where, ": expected 'file <id> <path>'");
      MVG_CHECK(rel.find("..") == std::string::npos && rel[0] != '/', where, ": file path must stay inside the data directory");
      MVG_CHECK(m.files.emplace(id, rel).second, where, ": file id '", id, "' defined twice");
    } else if (kind == "set") {
      set_spec s = detail::manifest_entry(ls, kind, no, where, known, m.sets);
      for (const char* f : {"image", "labels", "table"})
        if (s.keys.count(f))
          MVG_CHECK(m.files.count(s.keys[f]), where, ": ", f, "=", s.keys[f], " names no 'file' line above");
      if (s.keys.count("support_every")) {
        s.support_every = detail::manifest_uint(s.keys["support_every"], where);
        s.query_gap = detail::manifest_uint(s.get("query_gap", path.string()), where);
        MVG_CHECK(s.support_every >= 2 && s.query_gap >= 1 && 2 * s.query_gap <= s.support_every, where,
                  ": support_every/query_gap leave no query slice");
      } else {
        s.train = detail::manifest_slabs(s.get("train", path.string()), where + " (train)");
        s.test = detail::manifest_slabs(s.get("test", path.string()), where + " (test)");
        for (const auto& a : s.train)
          for (const auto& b : s.test)
            MVG_CHECK(a.last < b.first || a.first > b.last, where, ": a train slab overlaps a test slab");
      }
      m.sets.push_back(std::move(s));
    } else if (kind == "pairs") {
      set_spec s = detail::manifest_entry(ls, kind, no, where, known, m.pairs);
      for (const char* f : {"image", "labels", "target"})
        if (s.keys.count(f)) {
          std::stringstream ids(s.keys[f]);
          for (std::string id; std::getline(ids, id, ',');)
            MVG_CHECK(m.files.count(id), where, ": ", f, "=", id, " names no 'file' line above");
        }
      s.test = detail::manifest_slabs(s.get("test", path.string()), where + " (test)");
      if (s.keys.count("train")) s.train = detail::manifest_slabs(s.keys["train"], where + " (train)");
      if (s.keys.count("support")) s.support = detail::manifest_slabs(s.keys["support"], where + " (support)");
      MVG_CHECK(!s.train.empty() || !s.support.empty(), where, ": pairs need train= or (test-only) support= slabs");
      for (const auto* other : {&s.train, &s.support})
        for (const auto& a : *other)
          for (const auto& b : s.test)
            MVG_CHECK(a.last < b.first || a.first > b.last, where, ": a train/support slab overlaps a test slab");
      m.pairs.push_back(std::move(s));
    } else {
      ::mvg::detail::fail(where, ": unknown line kind '", kind, "' (expected file, set or pairs)");
    }
  }
  MVG_CHECK(!m.sets.empty(), path.string(), ": manifest defines no set");
  return m;
}

// The repository's manifest: MVG_MANIFEST, else data/benchmark.manifest in the current folder or
// the nearest parent that has one.
inline std::filesystem::path default_manifest_path() {
  if (const char* env = std::getenv("MVG_MANIFEST"); env && *env) return env;
  std::error_code ec;
  for (auto dir = std::filesystem::current_path(ec); !ec && !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "data" / "benchmark.manifest")) return dir / "data" / "benchmark.manifest";
    if (dir == dir.parent_path()) break;
  }
  ::mvg::detail::fail("benchmark manifest not found: run from inside the mvg repository or set MVG_MANIFEST");
}

// MVG_DATA_DIR, else <repository>/.cache/data where the repository holds the manifest.
inline std::filesystem::path default_data_dir(const std::filesystem::path& manifest_path) {
  if (const char* env = std::getenv("MVG_DATA_DIR"); env && *env) return env;
  return std::filesystem::absolute(manifest_path).parent_path().parent_path() / ".cache" / "data";
}

// Where a loader reads the benchmark from and at which size; the segmentation sets and the image tasks
// each add the names they load.
struct data_source {
  std::size_t image_size = 64;
  std::filesystem::path manifest;  // empty: default_manifest_path()
  std::filesystem::path data_dir;  // empty: default_data_dir(manifest)
};

namespace detail {
// The item of `items` named `name`; the error says "<owner>: no <item> named '<name>'".
template <class Items>
const auto& by_name(const Items& items, std::string_view name, const char* owner, const char* item) {
  for (const auto& i : items)
    if (i.name == name) return i;
  ::mvg::detail::fail(owner, ": no ", item, " named '", name, "'");
}

// load(o) memoised for the process, keyed by manifest, data folder, size and the names asked for.
template <class Result, class Load>
std::shared_ptr<const Result> memoised(const data_source& o, const std::vector<std::string>& names, Load load) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Result>> cache;
  std::string key = o.manifest.string() + "|" + o.data_dir.string() + "|" + std::to_string(o.image_size);
  for (const auto& s : names) key += "|" + s;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[key];
  if (!slot) slot = std::make_shared<const Result>(load());
  return slot;
}
}  // namespace detail

}  // namespace mvg::data
