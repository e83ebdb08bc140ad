// mvg/objectives/hybrid.hpp: the hybrid schedule of paper §4.1, a template over its two objectives.
//   task sampling: segmentation 0.5, the other kinds share 0.5 (renormalised over the kinds a
//   trainer actually has); objective per task kind: segmentation 100% autoregressive, the others
//   90% MIM / 10% autoregressive. Seeded: the same rng gives the same sequence of draws.
// Every objective keeps one contract, the `objective` concept: loss = o(model, batch, g, drop_path),
// where g is the objective's own randomness (masks; AR draws none) and drop_path the generator of the
// model's stochastic depth (nullptr: off). pretrain_objective keeps it too.
#pragma once
#include <array>
#include <concepts>

#include "mvg/objectives/autoregressive.hpp"
#include "mvg/objectives/inference.hpp"
#include "mvg/objectives/mim.hpp"

namespace mvg::objectives {

enum class objective_kind { autoregressive, mim };

template <class O, class Model>
concept objective = requires(const O& o, const Model& m, const std::vector<sample>& batch, rng& g, rng* drop_path) {
  { o(m, batch, g, drop_path) } -> std::same_as<typename Model::var_type>;
};

struct hybrid_options {
  std::array<double, task_kinds> p_autoregressive{1.0, 0.1, 0.1, 0.1};
  std::array<double, task_kinds> task_weight{0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3};
};

// The inference mode of a task kind trained with this AR share: the objective it mostly trained under.
inline inference_mode mode_for_share(double p_autoregressive) {
  return p_autoregressive > 0.5 ? inference_mode::autoregressive : inference_mode::mim;
}
inline std::array<inference_mode, task_kinds> modes_for_shares(const std::array<double, task_kinds>& p_autoregressive) {
  std::array<inference_mode, task_kinds> m{};
  for (int k = 0; k < task_kinds; ++k) m[std::size_t(k)] = mode_for_share(p_autoregressive[std::size_t(k)]);
  return m;
}

template <class Ar = ar_objective, class Mim = mim_objective>
class hybrid {
public:
  hybrid(hybrid_options o = {}, Ar ar = {}, Mim mim = {}) : opt_(o), ar_(ar), mim_(mim) {
    for (double p : opt_.p_autoregressive) MVG_CHECK(p >= 0 && p <= 1, "hybrid: probability ", p, " outside [0, 1]");
  }

  // Draws a task kind among `available` (weights renormalised over them).
  task_kind draw_task(rng& g, const std::array<bool, task_kinds>& available = {true, true, true, true}) const {
    std::array<double, task_kinds> w{};
    for (int k = 0; k < task_kinds; ++k) w[k] = available[k] ? opt_.task_weight[k] : 0.0;
    return static_cast<task_kind>(g.weighted_index(w, "hybrid: no task kind is available to sample"));
  }
  objective_kind draw_objective(task_kind k, rng& g) const {
    return g.uniform() < opt_.p_autoregressive[static_cast<int>(k)] ? objective_kind::autoregressive
                                                                     : objective_kind::mim;
  }

  // The loss of one batch (all of one task kind) under the drawn objective.
  template <class Model>
    requires objective<Ar, Model> && objective<Mim, Model>
  typename Model::var_type loss(const Model& m, const std::vector<sample>& batch, objective_kind o, rng& g,
                                rng* drop_path = nullptr) const {
    return o == objective_kind::autoregressive ? ar_(m, batch, g, drop_path) : mim_(m, batch, g, drop_path);
  }

  const hybrid_options& options() const { return opt_; }
  const Ar& autoregressive() const { return ar_; }
  const Mim& mim() const { return mim_; }

private:
  hybrid_options opt_;
  Ar ar_;
  Mim mim_;
};

}  // namespace mvg::objectives
