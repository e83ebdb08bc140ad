// mvg/eval/results.hpp: benchmark results as rows, written as results.csv and results.md (SPEC §8).
// results.csv is long-format with the header exactly `task,set,method,metric,value`; it holds only
// the SPEC's metrics (miou, dice, mae, psnr, ssim) with finite values, so tools can rely on it.
// Other measurements (inpainting inside the hole, CT error in HU, the D3 noise2noise score) carry
// their own metric names and appear in results.md only. Both files are written atomically.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mvg/io/atomic_file.hpp"

namespace mvg::eval {

struct result_row {
  std::string task, set, method, metric;
  double value = 0;
};

inline bool spec_metric(const std::string& m) {
  return m == "miou" || m == "dice" || m == "mae" || m == "psnr" || m == "ssim";
}
// Larger is better for every metric but the error ones.
inline bool higher_is_better(const std::string& m) {
  return !(m.rfind("mae", 0) == 0 || m.rfind("mse", 0) == 0 || m.rfind("n2n", 0) == 0);
}

inline std::string format_value(double v, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline std::string results_csv(const std::vector<result_row>& rows) {
  std::string out = "task,set,method,metric,value\n";
  for (const auto& r : rows)
    if (spec_metric(r.metric) && std::isfinite(r.value))
      out += r.task + "," + r.set + "," + r.method + "," + r.metric + "," + format_value(r.value) + "\n";
  return out;
}

// One table per task kind: a row per (set, metric), a column per method, the best value in bold.
// `notes` maps a set name to a sentence printed under its task's table (caveats, skipped tasks).
inline std::string results_markdown(const std::vector<result_row>& rows, const std::string& title,
                                    const std::map<std::string, std::string>& notes = {}) {
  std::ostringstream md;
  md << "# " << title << "\n";
  for (const char* task : {"segmentation", "denoising", "inpainting", "synthesis"}) {
    std::vector<std::string> methods, keys;
    std::map<std::string, std::map<std::string, double>> cell;  // "set|metric" -> method -> value
    for (const auto& r : rows) {
      if (r.task != task) continue;
      if (std::find(methods.begin(), methods.end(), r.method) == methods.end()) methods.push_back(r.method);
      const std::string key = r.set + "|" + r.metric;
      if (!cell.count(key)) keys.push_back(key);
      cell[key][r.method] = r.value;
    }
    if (keys.empty()) continue;
    md << "\n## " << task << "\n\n| set | metric |";
    for (const auto& m : methods) md << " " << m << " |";
    md << "\n|---|---|";
    for (std::size_t i = 0; i < methods.size(); ++i) md << "---:|";
    md << "\n";
    std::vector<std::string> sets_seen;
    for (const auto& key : keys) {
      const std::string set = key.substr(0, key.find('|')), metric = key.substr(key.find('|') + 1);
      if (std::find(sets_seen.begin(), sets_seen.end(), set) == sets_seen.end()) sets_seen.push_back(set);
      const auto& vals = cell[key];
      double best = higher_is_better(metric) ? -INFINITY : INFINITY;
      for (const auto& [m, v] : vals)
        if (std::isfinite(v)) best = higher_is_better(metric) ? std::max(best, v) : std::min(best, v);
      md << "| " << set << " | " << metric << " |";
      for (const auto& m : methods) {
        auto it = vals.find(m);
        if (it == vals.end() || !std::isfinite(it->second)) {
          md << " – |";
          continue;
        }
        const std::string v = format_value(it->second, metric.find("psnr") != std::string::npos ? 2 : 4);
        md << (it->second == best && vals.size() > 1 ? " **" + v + "** |" : " " + v + " |");
      }
      md << "\n";
    }
    for (const auto& s : sets_seen)
      if (auto n = notes.find(s); n != notes.end()) md << "\n- " << s << ": " << n->second << "\n";
  }
  return md.str();
}

inline void write_results(const std::filesystem::path& dir, const std::vector<result_row>& rows,
                          const std::string& title, const std::map<std::string, std::string>& notes = {}) {
  const std::string csv = results_csv(rows), md = results_markdown(rows, title, notes);
  io::write_file_atomically((dir / "results.csv").string(), csv);
  io::write_file_atomically((dir / "results.md").string(), md);
}

}  // namespace mvg::eval
