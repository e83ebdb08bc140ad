// mvg/objectives/shares.hpp: the text form of the training mixture, as mvg_train takes it and as its
// checkpoints store it: per task kind "kind=fraction[,kind=fraction…]" (the task mixture and the
// autoregressive share of each kind, paper §4.1), per segmentation set "SET=WEIGHT[,…]", per
// parameter-name pattern a learning-rate multiplier "PATTERN=FACTOR[,…]".
// Parsed over the paper's values, written canonically (shortest round-trip decimals), so a resumed run
// compares its options with the stored ones as text.
#pragma once
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/objectives/hybrid.hpp"
#include "mvg/optim/lr_scale.hpp"

namespace mvg::objectives {

using kind_shares = std::array<double, task_kinds>;

// The items of "KEY=NUMBER[,KEY=NUMBER…]"; `number` is false where an item is not KEY=NUMBER with a
// non-empty KEY.
struct key_number {
  std::string item, key;
  double value = -1;
  bool number = false;
};
inline std::vector<key_number> split_key_numbers(const std::string& text) {
  std::vector<key_number> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    key_number kn;
    kn.item = item;
    const auto eq = item.find('=');
    if (eq != std::string::npos && eq > 0) {
      kn.key = item.substr(0, eq);
      const char* end = item.data() + item.size();
      const auto r = std::from_chars(item.data() + eq + 1, end, kn.value);
      kn.number = r.ec == std::errc{} && r.ptr == end;
    }
    out.push_back(std::move(kn));
  }
  return out;
}

namespace detail {
inline std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
}  // namespace detail

// "kind=fraction[,…]" over `base`; "" keeps it. `what` names the source in errors.
inline kind_shares parse_kind_shares(const std::string& text, kind_shares s, const std::string& what) {
  for (const auto& kn : split_key_numbers(text)) {
    int kind = -1;
    for (int k = 0; k < task_kinds; ++k)
      if (kn.key == task_name(task_kind(k))) kind = k;
    MVG_CHECK(kind >= 0 && kn.number && kn.value >= 0 && kn.value <= 1, what, ": '", kn.item, "' is not KIND=FRACTION "
              "with KIND one of segmentation, denoising, inpainting, synthesis and FRACTION in [0, 1]");
    s[std::size_t(kind)] = kn.value;
  }
  return s;
}
// The autoregressive share of each kind, over the paper's (segmentation 1, the others 0.1).
inline kind_shares parse_ar_shares(const std::string& text, const std::string& what) {
  return parse_kind_shares(text, hybrid_options{}.p_autoregressive, what);
}
// Task-kind weights over the paper's mixture (renormalised by the schedule over the kinds a run has).
inline kind_shares parse_task_shares(const std::string& text, const std::string& what) {
  const auto s = parse_kind_shares(text, hybrid_options{}.task_weight, what);
  double total = 0;
  for (double v : s) total += v;
  MVG_CHECK(total > 0, what, ": '", text, "' gives every task kind a share of 0");
  return s;
}
inline std::string format_kind_shares(const kind_shares& s) {
  std::string out;
  for (int k = 0; k < task_kinds; ++k) {
    if (k) out += ',';
    out.append(task_name(task_kind(k))).append("=").append(detail::shortest(s[std::size_t(k)]));
  }
  return out;
}

// Segmentation set draw weights (sampler_options::set_weight), each ≥ 0; names are checked by the sampler.
inline std::map<std::string, double> parse_set_weights(const std::string& text, const std::string& what) {
  std::map<std::string, double> w;
  for (const auto& kn : split_key_numbers(text)) {
    MVG_CHECK(kn.number && kn.value >= 0 && std::isfinite(kn.value), what, ": '", kn.item,
              "' is not SET=WEIGHT with WEIGHT >= 0");
    w[kn.key] = kn.value;
  }
  return w;
}
// "pattern=factor[,…]": per-parameter learning-rate multipliers (optim/lr_scale.hpp), in the order given.
inline std::vector<optim::lr_multiplier> parse_lr_scales(const std::string& text, const std::string& what) {
  std::vector<optim::lr_multiplier> out;
  for (const auto& kn : split_key_numbers(text)) {
    MVG_CHECK(kn.number && kn.value > 0 && std::isfinite(kn.value), what, ": '", kn.item,
              "' is not PATTERN=FACTOR with FACTOR > 0 (PATTERN: part of parameter names, e.g. qkv)");
    out.push_back({kn.key, kn.value});
  }
  return out;
}
inline std::string format_lr_scales(const std::vector<optim::lr_multiplier>& scales) {
  std::string out;
  for (const auto& m : scales) {
    if (!out.empty()) out += ',';
    out.append(m.pattern).append("=").append(detail::shortest(m.factor));
  }
  return out;
}
inline std::string format_set_weights(const std::map<std::string, double>& w) {
  std::string out;
  for (const auto& [k, v] : w) {
    if (!out.empty()) out += ',';
    out.append(k).append("=").append(detail::shortest(v));
  }
  return out;
}

}  // namespace mvg::objectives
