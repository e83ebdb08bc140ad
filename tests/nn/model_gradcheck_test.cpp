// Finite differences through the whole model (double precision), on a random subset of the one
// parameter buffer covering every parameter tensor, in both attention modes, with and without the
// decoder's pixel skip, copy gate, refinement and label fusion.
#include <catch2/catch.hpp>
#include <cmath>

#include "support/backend_under_test.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"

using namespace mvg;

namespace {
constexpr config f64_cfg{.image_size = 8, .patch = 4, .embed_dim = 8, .depth = 4, .heads = 2, .mlp_ratio = 2,
                         .decoder_channels = 3, .scalar = dtype::f64};
using model_t = model<f64_cfg, test_backend>;
using dtensor = tensor<double, test_backend>;
using dvar = var<double, test_backend>;

dtensor uniform(shape s, uint64_t seed) {
  rng g(seed);
  std::vector<double> v(static_cast<size_t>(s.numel()));
  for (auto& x : v) x = g.uniform();
  return dtensor::from_host(s, v);
}
}  // namespace

TEST_CASE("whole-model gradient matches finite differences", "[grad][model]") {
  using opts = nn::decoder_options;
  constexpr opts plain{}, skip{.pixel_skip = true}, all{.pixel_skip = true, .copy_gate = true, .refine = true,
                                                                .label_fusion = true, .fusion_holes = true};
  for (auto [kind, dec] : {std::pair{attention_kind::full, plain}, std::pair{attention_kind::block_causal, plain},
                           std::pair{attention_kind::full, skip}, std::pair{attention_kind::block_causal, skip},
                           std::pair{attention_kind::full, all}, std::pair{attention_kind::block_causal, all}}) {
    INFO("attention " << (kind == attention_kind::full ? "full" : "block-causal")
                      << (dec.copy_gate    ? ", pixel skip, copy gate, refinement, label fusion, fusion holes"
                          : dec.pixel_skip ? ", pixel skip"
                                           : ""));
    model_t m(3, init_scheme::timm, {}, dec);
    // Perturb LayerNorm/bias values away from 1/0 so every path carries signal.
    {
      auto& v = m.parameters().values();
      rng g(9);
      auto host = v.to_host();  // through the host: on a GPU the values are device memory
      for (auto& x : host) x += 0.05 * g.normal();
      v.copy_from(dtensor::from_host(v.shape(), host));
    }
    const dtensor pixels = uniform({2, 4, 8, 8}, 1), target = uniform({2, 4, 8, 8}, 2);
    std::vector<double> mask(2 * 16, 0.0);
    mask[13] = mask[14] = mask[16 + 12] = 1.0;  // a few tokens of the last slot use the mask token
    const dtensor token_mask = dtensor::from_host({2, 16}, mask);
    const dtensor* tm = kind == attention_kind::full ? &token_mask : nullptr;
    auto loss_of = [&]() {
      return ops::l2_loss(m.forward(pixels, sequence_roles(1, 4), tm, kind), dvar(target));
    };
    m.parameters().zero_grad();
    autograd::current_tape().clear();
    autograd::backward(loss_of());
    const auto grads = m.parameters().grads().to_host();

    double worst = 0;
    int checked = 0;
    rng pick(4);
    for (const auto& p : m.parameters().infos()) {
      if (p.name == "mask_token" && kind == attention_kind::block_causal) continue;  // unused there
      for (int s = 0; s < 3; ++s) {
        const int64_t i = p.offset + static_cast<int64_t>(pick.below(static_cast<uint64_t>(p.dims.numel())));
        const auto w = m.parameters().values().data() + i;
        const double keep = m.parameters().values().view(i, {1}).item(), h = 1e-5;
        auto set = [&](double x) { test_backend::upload(&x, w, 1); };
        autograd::no_grad ng;
        set(keep + h);
        const double fp = loss_of().value().item();
        set(keep - h);
        const double fm = loss_of().value().item();
        set(keep);
        const double num = (fp - fm) / (2 * h);
        // Relative error, floored at 1e-4 so gradients near zero are judged by absolute error (FD noise ~1e-11).
        const double err = std::abs(num - grads[i]) / std::max(1e-4, std::abs(num) + std::abs(grads[i]));
        INFO(p.name << " element " << i - p.offset << ": analytic " << grads[i] << " numeric " << num);
        CHECK(err < 1e-5);
        worst = std::max(worst, err);
        ++checked;
      }
    }
    REQUIRE(checked >= 3 * 60);
  }
}
