// examples/common/ar_share.hpp: per-task-kind fractions: the task mixture (--task-share) and the share
// of autoregressive steps per task kind (paper §4.1: 100% for
// segmentation, 10% for the others, the rest MIM), as mvg_train's --ar-share and as the checkpoint
// metadata `mvg.train.ar_share` that mvg_eval's --mode auto reads back: each kind is inferred the
// way it was mostly trained.
#pragma once
#include <array>
#include <charconv>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <mvg/mvg.hpp>

namespace example {

using ar_shares = std::array<double, mvg::objectives::task_kinds>;

inline ar_shares paper_ar_shares() { return mvg::objectives::hybrid_options{}.p_autoregressive; }

// The paper's task mixture (§4.1): segmentation half the steps, the other kinds the rest.
inline ar_shares paper_task_shares() { return mvg::objectives::hybrid_options{}.task_weight; }

// The items of "KEY=NUMBER[,KEY=NUMBER…]" (the syntax of --ar-share, --task-share, --set-weights);
// `number` is false where an item is not KEY=NUMBER with a non-empty KEY.
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

// "kind=fraction[,kind=fraction…]" over `base`; "" keeps it. `what` names the source.
inline ar_shares parse_kind_fractions(const std::string& text, ar_shares s, const std::string& what) {
  namespace o = mvg::objectives;
  for (const auto& kn : split_key_numbers(text)) {
    int kind = -1;
    for (int k = 0; k < o::task_kinds; ++k)
      if (kn.key == o::task_name(o::task_kind(k))) kind = k;
    MVG_CHECK(kind >= 0 && kn.number && kn.value >= 0 && kn.value <= 1, what, ": '", kn.item, "' is not KIND=FRACTION "
              "with KIND one of segmentation, denoising, inpainting, synthesis and FRACTION in [0, 1]");
    s[std::size_t(kind)] = kn.value;
  }
  return s;
}
inline ar_shares parse_ar_shares(const std::string& text, const std::string& what) {
  return parse_kind_fractions(text, paper_ar_shares(), what);
}
// Task-kind weights (renormalised by the sampler over the kinds a run has); at least one positive.
inline ar_shares parse_task_shares(const std::string& text, const std::string& what) {
  const auto s = parse_kind_fractions(text, paper_task_shares(), what);
  double total = 0;
  for (double v : s) total += v;
  MVG_CHECK(total > 0, what, ": '", text, "' gives every task kind a share of 0");
  return s;
}

// The canonical text of every kind's share (shortest round-trip decimals), as stored in the checkpoint.
inline std::string format_ar_shares(const ar_shares& s) {
  std::string out;
  for (int k = 0; k < mvg::objectives::task_kinds; ++k) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, s[std::size_t(k)]);
    out += (k ? "," : "") + std::string(mvg::objectives::task_name(mvg::objectives::task_kind(k))) + "=" +
           std::string(buf, r.ptr);
  }
  return out;
}

}  // namespace example
