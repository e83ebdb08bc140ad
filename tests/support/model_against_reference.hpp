// tests/support/model_against_reference.hpp: one model checked against a reference file written by
// tests/reference/make_pixel_skip_reference.py's write() (the pixel skip, copy gate and refinement files):
// prediction, loss and every gradient under full attention (masked query tokens, weighted smooth-L1 on the
// query label) and the block-causal mask (each slot predicts the next). Float32 here, float64 there.
#pragma once
#include <catch2/catch.hpp>
#include <string>

#include "mvg/io/checkpoint.hpp"
#include "mvg/nn/model.hpp"
#include "mvg/ops/loss.hpp"
#include "support/reference.hpp"

namespace mvg::test {

// Slot k of a [B, S, H, W] prediction, as [B, H, W].
template <class T, backend B>
var<T, B> slot(const var<T, B>& pred, int64_t k) {
  return ops::reshape(ops::slice(pred, 1, k, k + 1), {pred.dim(0), pred.dim(2), pred.dim(3)});
}

// Uniform [0, 1) values of a given shape, from `seed`.
template <class T, backend B>
tensor<T, B> uniform_tensor(shape s, uint64_t seed) {
  rng g(seed);
  std::vector<T> v(static_cast<size_t>(s.numel()));
  for (auto& x : v) x = static_cast<T>(g.uniform());
  return tensor<T, B>::from_host(s, v);
}

template <class Model>
void check_model_against_reference(Model& m, const io::safetensors_file& ref) {
  using ftensor = typename Model::tensor_type;
  using fvar = typename Model::var_type;
  auto load = [&](const std::string& name) { return ftensor::from_host(ref.at(name).dims, ref.values<float>(name)); };
  for (const std::string mode : {"full", "causal"}) {
    INFO(ref.path() << ", mode " << mode);
    io::load_parameters(m.parameters(), ref, "param.");
    m.parameters().zero_grad();
    autograd::current_tape().clear();
    const ftensor pixels = load("input.pixels"), mask = load("input.token_mask");
    const ftensor target = load("input.target"), weight = load("input.weight");
    const bool causal = mode == "causal";
    auto pred = m.forward(pixels, sequence_roles(1, 4), causal ? nullptr : &mask,
                          causal ? attention_kind::block_causal : attention_kind::full);
    CHECK(scaled_max_error(pred.value().to_host(), ref.values<float>(mode + ".pred"), 0) < 1e-4);
    const fvar px(pixels);
    auto loss = causal ? ops::scale(ops::add(ops::smooth_l1_loss(slot(pred, 0), slot(px, 1), 0.01),
                                             ops::smooth_l1_loss(slot(pred, 2), slot(px, 3), 0.01)),
                                    0.5f)
                       : ops::smooth_l1_loss(slot(pred, 3), fvar(target), 0.01, &weight);
    CHECK(loss.value().item() == Approx(ref.values<float>(mode + ".loss")[0]).epsilon(1e-4));
    autograd::backward(loss);
    for (const auto& p : m.parameters().infos()) {
      if (p.name == "mask_token" && causal) continue;  // unused without a token mask
      INFO("gradient of " << p.name);
      CHECK(scaled_max_error(m.parameters()[p.name].grad().to_host(), ref.values<float>(mode + ".grad." + p.name),
                             0) < 1e-4);
    }
  }
}
template <class Model>
void check_model_against_reference(Model& m, const std::string& file) {
  check_model_against_reference(m, io::safetensors_file::read(reference_path(file)));
}

}  // namespace mvg::test
