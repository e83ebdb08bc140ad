// mvg/objectives/predefined_colors.hpp: the paper's pre-defined coloring (§3.2) over a benchmark: one
// fixed gray level per class of every segmentation set, by the paper's formula (coloring.hpp): class n
// of dataset k has Σ_{i<k} i·N_i + n, scaled by the largest value into (0, 1].
// Here a "dataset" is a benchmark set (S1, S2-regions, …, or one of your own), in the order loaded, and
// its classes are the distinct class names of its tasks, in first-met order: S2-regions' per-region
// binary tasks are one set of N regions, as the atlas is one dataset. A held-out set is a dataset of its
// own, so its classes have colors that no training sample ever showed (the scheme's weakness the
// held-out rows measure). The table travels in the checkpoint (format/parse) so that evaluation
// colors exactly as training did, whatever sets either loads.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/data/benchmark/benchmark.hpp"
#include "mvg/objectives/coloring.hpp"

namespace mvg::objectives {

struct predefined_colors {
  std::map<std::string, float> value;  // "set/class name" → gray level

  static std::string key(const std::string& set, const std::string& cls) { return set + "/" + cls; }

  static predefined_colors of(const data::benchmark& b) {
    std::vector<std::vector<std::string>> names;  // per set: its class names, first-met order
    std::vector<const data::benchmark_set*> sets;
    for (const auto& set : b.sets) {
      std::vector<std::string> cls;
      for (const auto& t : set.tasks)
        for (std::size_t c = 1; c < t.classes.size(); ++c)
          if (std::find(cls.begin(), cls.end(), t.classes[c]) == cls.end()) cls.push_back(t.classes[c]);
      if (cls.empty()) continue;
      names.push_back(std::move(cls));
      sets.push_back(&set);
    }
    MVG_CHECK(!sets.empty(), "pre-defined coloring: no segmentation set with classes is loaded");
    std::vector<int> counts;
    for (const auto& n : names) counts.push_back(static_cast<int>(n.size()));
    predefined_colors p;
    for (std::size_t k = 0; k < sets.size(); ++k) {
      const color_mapping m = predefined_mapping(counts, static_cast<int>(k) + 1);
      for (std::size_t n = 0; n < names[k].size(); ++n) p.value[key(sets[k]->name, names[k][n])] = m.color_of(int(n) + 1);
    }
    return p;
  }

  // The mapping of a task's label values (those in `classes`) to their fixed colors.
  color_mapping mapping(const data::benchmark_set& set, const data::seg_task& task, const std::vector<int>& classes) const {
    color_mapping m;
    for (int c : classes) {
      MVG_CHECK(c >= 1 && static_cast<std::size_t>(c) < task.classes.size(), "pre-defined coloring: label value ", c,
                " of ", set.name, "/", task.name, " is not one of its ", task.classes.size() - 1, " classes");
      const auto it = value.find(key(set.name, task.classes[static_cast<std::size_t>(c)]));
      MVG_CHECK(it != value.end(), "pre-defined coloring: class '", task.classes[static_cast<std::size_t>(c)], "' of set ",
                set.name, " has no color in this model's table (it was trained without that set: name the "
                "training sets in mvg_eval --tasks)");
      m.colors[c] = it->second;
    }
    return m;
  }

  // One "key=value" line per class (class names hold spaces and commas, never a newline); floats in
  // %.9g so that a parsed table is bit-equal to the one trained with.
  std::string format() const {
    std::string s;
    char buf[32];
    for (const auto& [k, v] : value) {
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
      s += k + "=" + buf + "\n";
    }
    return s;
  }
  static predefined_colors parse(const std::string& text, const std::string& where) {
    predefined_colors p;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      const std::size_t eq = line.rfind('=');
      MVG_CHECK(eq != std::string::npos && eq > 0, where, ": line '", line, "' is not 'set/class=value'");
      char* rest = nullptr;
      const float v = std::strtof(line.c_str() + eq + 1, &rest);
      MVG_CHECK(rest && *rest == '\0' && eq + 1 < line.size() && v > 0.f && v <= 1.f, where, ": '", line.substr(eq + 1),
                "' in line '", line, "' is not a gray level in (0, 1]");
      p.value[line.substr(0, eq)] = v;
    }
    MVG_CHECK(!p.value.empty(), where, ": the pre-defined color table is empty");
    return p;
  }
};

}  // namespace mvg::objectives
