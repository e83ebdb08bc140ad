// mvg/data/prompts.hpp: choosing in-context prompts (image, label pairs) for a query slice.
// Contract: prompts always come from a pool disjoint from the queries (a task's prompt_pool(): its
// training slabs, or a U set's support slices); select_prompts refuses a pool that holds the query's
// own slice. Rules: position (the paper §3.3: query n of N_TE ↔ pool entry floor(n·N_TR/N_TE), k > 1
// takes the neighbours of that entry), fixed (one pool entry for every query), nearest (closest
// slices, alternating below/above so k = 2 gives one on each side), retrieval (highest normalised
// cross-correlation between images; uses the query image, never its label). Results are pool
// indices, best (or nearest) first; fewer than k only when the pool is smaller than k.
// Training draws its prompts by its own rule (training_prompts, at the end): random slices of the
// same training pool within a distance band of the query, so that test-time distances are covered.
// A set of several subjects (a user's dataset, data/benchmark/decathlon.hpp) takes prompts from other
// subjects at the query's relative slice position instead, at test time and in training alike: the
// paper's slice-position rule across volumes (cross_subject_prompts).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/data/benchmark/benchmark.hpp"

namespace mvg::data {

// The paper's slice-position rule.
inline std::size_t position_prompt(std::size_t n, std::size_t n_te, std::size_t n_tr) {
  MVG_CHECK(n_te > 0 && n_tr > 0 && n < n_te, "position_prompt: need n < N_TE and N_TR > 0, got n=", n,
            " N_TE=", n_te, " N_TR=", n_tr);
  return static_cast<std::size_t>((static_cast<unsigned __int128>(n) * n_tr) / n_te);
}

// k pool entries centred on `centre` (clipped to the pool), centre first, then alternating after/before.
inline std::vector<std::size_t> around(std::size_t centre, std::size_t pool_size, std::size_t k) {
  std::vector<std::size_t> out{centre};
  for (std::size_t d = 1; out.size() < std::min(k, pool_size); ++d) {
    if (centre + d < pool_size) out.push_back(centre + d);
    if (out.size() < k && d <= centre) out.push_back(centre - d);
  }
  return out;
}

// Indices of the k slices nearest to `query`, alternating the nearest below and the nearest above.
inline std::vector<std::size_t> nearest_slices(const std::vector<std::size_t>& pool_slices, std::size_t query,
                                               std::size_t k) {
  std::vector<std::size_t> below, above;
  for (std::size_t i = 0; i < pool_slices.size(); ++i) (pool_slices[i] < query ? below : above).push_back(i);
  auto by_distance = [&](std::size_t a, std::size_t b) {
    const auto da = pool_slices[a] > query ? pool_slices[a] - query : query - pool_slices[a];
    const auto db = pool_slices[b] > query ? pool_slices[b] - query : query - pool_slices[b];
    return da != db ? da < db : a < b;
  };
  std::sort(below.begin(), below.end(), by_distance);
  std::sort(above.begin(), above.end(), by_distance);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; out.size() < k && (i < below.size() || i < above.size()); ++i) {
    if (i < below.size()) out.push_back(below[i]);
    if (out.size() < k && i < above.size()) out.push_back(above[i]);
  }
  return out;
}

// Zero-mean normalised cross-correlation in [-1, 1] (0 when either image is flat).
inline double ncc(const image2d<float>& a, const image2d<float>& b) {
  MVG_CHECK(a.shape() == b.shape(), "ncc: images differ in shape");
  const std::size_t n = a.size();
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a.data()[i], mb += b.data()[i];
  ma /= static_cast<double>(n), mb /= static_cast<double>(n);
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a.data()[i] - ma, y = b.data()[i] - mb;
    ab += x * y, aa += x * x, bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

// Indices of the k most similar pool images, most similar first (ties: lower index).
inline std::vector<std::size_t> most_similar(const std::vector<const image2d<float>*>& pool,
                                             const image2d<float>& query, std::size_t k) {
  std::vector<double> score(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) score[i] = ncc(*pool[i], query);
  std::vector<std::size_t> idx(pool.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  idx.resize(std::min(k, idx.size()));
  return idx;
}

// Across subjects: for every subject other than the query's, its pool entry nearest to the query's
// relative slice position; `pick` orders those subjects (nearest first at test time, a random order in
// training) and the first n are returned. Fewer subjects than n: the next nearest entries of the others.
template <class Pick>
std::vector<std::size_t> cross_subject_prompts(const benchmark_set& set, const std::vector<seg_sample>& pool,
                                               const seg_sample& q, std::size_t n, Pick&& pick) {
  const double at = set.relative_position(q);
  auto off = [&](std::size_t i) { return std::abs(set.relative_position(pool[i]) - at); };
  auto nearer = [&](std::size_t a, std::size_t b) { return off(a) != off(b) ? off(a) < off(b) : a < b; };
  // One pass: training draws this for every segmentation sample, and a pool holds every slice of a task.
  std::map<std::size_t, std::size_t> nearest;  // subject → its entry nearest the query's position
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (pool[i].volume == q.volume) continue;
    const auto [it, fresh] = nearest.try_emplace(pool[i].volume, i);
    if (!fresh && nearer(i, it->second)) it->second = i;
  }
  std::vector<std::size_t> best;  // one per subject, nearest first
  for (const auto& [subject, i] : nearest) best.push_back(i);
  std::sort(best.begin(), best.end(), nearer);
  pick(best);
  if (best.size() > n) best.resize(n);
  if (best.size() < n) {  // fewer subjects than prompts: the next nearest entries of the others
    std::vector<std::size_t> others;
    for (std::size_t i = 0; i < pool.size(); ++i)
      if (pool[i].volume != q.volume && std::find(best.begin(), best.end(), i) == best.end()) others.push_back(i);
    std::sort(others.begin(), others.end(), nearer);
    for (std::size_t k = 0; best.size() < n && k < others.size(); ++k) best.push_back(others[k]);
  }
  return best;
}

enum class prompt_rule { position, fixed, nearest, retrieval };

struct prompt_options {
  prompt_rule rule = prompt_rule::position;
  std::size_t k = 1;
  std::size_t fixed_index = std::numeric_limits<std::size_t>::max();  // default: the pool's middle entry
};

// Prompts for the query `task.samples(from)[query_index]`, as indices into task.prompt_pool().
inline std::vector<std::size_t> select_prompts(const benchmark_set& set, const seg_task& task, std::size_t query_index,
                                               const prompt_options& o = {}, split from = split::test) {
  const auto& queries = task.samples(from);
  const auto& pool = task.prompt_pool();
  MVG_CHECK(&queries != &pool, "select_prompts: set ", set.name, " task ", task.name,
            ": queries and prompts would come from the same split");
  MVG_CHECK(query_index < queries.size(), "select_prompts: query ", query_index, " of ", queries.size(),
            " in set ", set.name, " task ", task.name);
  MVG_CHECK(!pool.empty(), "select_prompts: set ", set.name, " task ", task.name,
            " has no prompt slice (a class unseen in training)");
  MVG_CHECK(o.k >= 1, "select_prompts: k must be ≥ 1");
  const seg_sample& q = queries[query_index];
  for (const auto& p : pool)
    MVG_CHECK(p.slice != q.slice || p.volume != q.volume, "select_prompts: set ", set.name, " task ", task.name,
              ": slice ", q.slice, " is both a query and a prompt");
  // Across subjects, slice numbers of different volumes do not compare: position and nearest both
  // mean the same relative position in other subjects.
  if (set.across_subjects() && (o.rule == prompt_rule::position || o.rule == prompt_rule::nearest))
    return cross_subject_prompts(set, pool, q, o.k, [](std::vector<std::size_t>&) {});
  switch (o.rule) {
    case prompt_rule::position:
      return around(position_prompt(query_index, queries.size(), pool.size()), pool.size(), o.k);
    case prompt_rule::fixed: {
      const std::size_t f = o.fixed_index == std::numeric_limits<std::size_t>::max() ? pool.size() / 2 : o.fixed_index;
      MVG_CHECK(f < pool.size(), "select_prompts: fixed_index ", f, " outside the pool of ", pool.size());
      return around(f, pool.size(), o.k);
    }
    case prompt_rule::nearest: {
      std::vector<std::size_t> slices;
      for (const auto& p : pool) slices.push_back(p.slice);
      return nearest_slices(slices, q.slice, o.k);
    }
    case prompt_rule::retrieval: {
      std::vector<const image2d<float>*> images;
      for (const auto& p : pool) images.push_back(&set.image(p));
      return most_similar(images, set.image(q), o.k);
    }
  }
  return {};
}

// The training prompt rule: n distinct entries of `pool` (anything with a `.slice`) other than entry q
// and its slice, drawn uniformly from those within [min_distance, max_distance] slices of the query,
// then from nearer ones, then from farther ones.
template <class Pool>
std::vector<std::size_t> training_prompts(const Pool& pool, std::size_t q, std::size_t n, std::size_t min_distance,
                                          std::size_t max_distance, rng& g) {
  std::vector<std::size_t> in_range, nearer, rest;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (i == q || pool[i].slice == pool[q].slice) continue;
    const std::size_t d = pool[i].slice > pool[q].slice ? pool[i].slice - pool[q].slice : pool[q].slice - pool[i].slice;
    (d > max_distance ? rest : d < min_distance ? nearer : in_range).push_back(i);
  }
  std::vector<std::size_t> out;
  for (auto* src : {&in_range, &nearer, &rest})
    while (out.size() < n && !src->empty()) {
      const std::size_t j = static_cast<std::size_t>(g.below(src->size()));
      out.push_back((*src)[j]);
      src->erase(src->begin() + static_cast<std::ptrdiff_t>(j));
    }
  MVG_CHECK(out.size() == n, "training prompts: not enough distinct prompt slices (", out.size(), " of ", n, ")");
  return out;
}

}  // namespace mvg::data
