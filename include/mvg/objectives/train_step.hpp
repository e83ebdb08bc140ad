// mvg/objectives/train_step.hpp: one optimisation step of MVG training (paper §4.1), the loop body every
// trainer shares: draw a task kind and its objective from the hybrid schedule (or masked image modeling
// alone when pretraining), a batch from the sampler, then loss, backward, gradient norm and the AdamW
// update. The norm is measured even when clipping is off, and a loss or norm that is not finite skips
// the update: the weights stay those of the last good step, and the caller decides what to say.
// The draws come from one generator in a fixed order, so a seed fixes the run.
// The batches come from any batch_source: task_sampler (task_sampler.hpp) draws them from the
// benchmark's files, so it needs mvg::data's readers; this header needs only mvg::core.
#pragma once
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <vector>

#include "mvg/objectives/hybrid.hpp"
#include "mvg/objectives/pretrain.hpp"
#include "mvg/objectives/sample.hpp"
#include "mvg/optim/adamw.hpp"
#include "mvg/optim/lr_scale.hpp"

namespace mvg::objectives {

// Which task kinds have training data, and a batch of n samples of one kind.
template <class S>
concept batch_source = requires(const S& s, task_kind kind, std::size_t n, rng& g) {
  { s.available() } -> std::convertible_to<std::array<bool, task_kinds>>;
  { s.draw_batch(kind, n, g) } -> std::convertible_to<std::vector<sample>>;
};

struct step_options {
  std::size_t batch = 8;
  double clip = 1.0;      // max gradient norm; 0: no clipping
  bool pretrain = false;  // masked image modeling on the images alone (pretrain_objective)
  // Parameters kept at their values (their gradients are zeroed before clipping, so AdamW's moments and
  // update stay 0 and the norm ignores them), e.g. {"pos_embed"}: MAE's fixed sin-cos positions.
  std::vector<std::string> frozen{};
  // Per-parameter learning-rate multipliers (optim/lr_scale.hpp), e.g. {{"qkv", 4}}; empty: one rate.
  std::vector<optim::lr_multiplier> lr_scales{};
};

struct step_result {
  task_kind kind = task_kind::segmentation;
  const char* objective = "";  // "ar", "mim" or "pretrain"
  double loss = 0, grad_norm = 0;
  bool finite() const { return std::isfinite(loss) && std::isfinite(grad_norm); }
};

template <class Model, class T, backend B, class Ar, class Mim, batch_source Sampler>
step_result train_step(Model& net, optim::adamw<T, B>& opt, double lr, const hybrid<Ar, Mim>& schedule,
                       const pretrain_objective& pretraining, const Sampler& sampler, const step_options& o,
                       rng& g) {
  step_result r;
  r.kind = schedule.draw_task(g, sampler.available());
  const auto obj = o.pretrain ? objective_kind::mim : schedule.draw_objective(r.kind, g);
  r.objective = o.pretrain ? "pretrain" : obj == objective_kind::mim ? "mim" : "ar";
  const auto batch = sampler.draw_batch(r.kind, o.batch, g);
  net.parameters().zero_grad();
  rng* drop_path = Model::cfg.drop_path > 0 ? &g : nullptr;
  auto loss = o.pretrain ? pretraining(net, batch, g, drop_path) : schedule.loss(net, batch, obj, g, drop_path);
  r.loss = loss.value().item();
  autograd::backward(loss);
  for (const auto& name : o.frozen) net.parameters()[name].grad().fill(T(0));
  r.grad_norm = optim::clip_grad_norm(net.parameters(), o.clip > 0 ? o.clip : INFINITY);
  if (r.finite()) {
    const auto ranges = optim::lr_ranges::of(net.parameters(), o.lr_scales);
    optim::scaled_step<T, B> scaled(net.parameters(), ranges);
    opt.step(lr);
    scaled.finish();
  }
  return r;
}

}  // namespace mvg::objectives
