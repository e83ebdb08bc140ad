// The decoder's optional stages beyond the pixel skip (mvg/nn/conv_decoder.hpp), the copy gate, the
// refinement and the label fusion (with its fusion holes): against PyTorch (tests/reference/make_decoder_options_reference.py),
// their start, what the gate copies and from where, and their checkpoints.
#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

#include "support/backend_under_test.hpp"
#include "mvg/io/checkpoint.hpp"
#include "mvg/nn/model.hpp"
#include "support/model_against_reference.hpp"

using namespace mvg;

namespace {
constexpr config ref_cfg = test::reference_model_cfg;
using model_t = model<ref_cfg, test_backend>;
using ftensor = tensor<float, test_backend>;
constexpr nn::decoder_options with_skip{.pixel_skip = true}, with_gate{.pixel_skip = true, .copy_gate = true},
    with_refine{.pixel_skip = true, .refine = true}, with_fusion{.pixel_skip = true, .label_fusion = true},
    with_holes{.pixel_skip = true, .label_fusion = true, .fusion_holes = true};

ftensor uniform(shape s, uint64_t seed) { return test::uniform_tensor<float, test_backend>(s, seed); }

// A query whose label slot is masked throughout (full attention), and the same pixels with one slot flipped
// (x -> 1 - x): which slots reach the query label's prediction.
struct masked_query_probe {
  ftensor mask, pixels = uniform({1, 4, 16, 16}, 4);
  masked_query_probe() {
    const int64_t G = ref_cfg.tokens_per_slot();
    std::vector<float> m(4 * G, 0.f);
    std::fill(m.begin() + 3 * G, m.end(), 1.f);
    mask = ftensor::from_host({1, 4 * G}, m);
  }
  std::vector<float> predict(model_t& m, const ftensor& px) const {
    return m.forward(px, sequence_roles(1, 4), &mask, attention_kind::full).value().to_host();
  }
  ftensor flipped(int64_t slot) const {
    auto host = pixels.to_host();
    for (int64_t i = 0; i < 256; ++i) host[std::size_t(slot * 256 + i)] = 1.f - host[std::size_t(slot * 256 + i)];
    return ftensor::from_host(pixels.shape(), host);
  }
};

void set_param(model_t& m, const std::string& name, float value) {
  auto& v = m.parameters().values();
  auto host = v.to_host();
  for (const auto& p : m.parameters().infos())
    if (p.name == name) std::fill_n(host.begin() + p.offset, p.dims.numel(), value);
  v.copy_from(ftensor::from_host(v.shape(), host));
}

// A stage whose `added` tensors are declared after the skip's, its output weight `zero_weight` at zero: at
// step 0 the model is the skip model, output for output, in both attention modes; once that weight is
// trained the stage changes the query label's prediction, the prompt label (slot 1) reaches it, and a masked
// query label (slot 3) still reaches none.
void check_zero_start(model_t& skip, model_t& staged, std::size_t added, const std::string& zero_weight) {
  REQUIRE(staged.parameters().size() == skip.parameters().size() + added);
  const auto a = skip.parameters().values().to_host(), b = staged.parameters().values().to_host();
  REQUIRE(std::equal(a.begin(), a.end(), b.begin()));  // declared after the skip: the same draws before it
  const ftensor pixels = uniform({2, 4, 16, 16}, 3);
  for (auto kind : {attention_kind::full, attention_kind::block_causal})
    CHECK(staged.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host() ==
          skip.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host());
  set_param(staged, zero_weight, 0.05f);
  const masked_query_probe probe;
  const auto base = probe.predict(staged, probe.pixels);
  CHECK(base != probe.predict(skip, probe.pixels));
  CHECK(probe.predict(staged, probe.flipped(3)) == base);
  CHECK(probe.predict(staged, probe.flipped(1)) != base);
}
}  // namespace

TEST_CASE("copy gate and refinement: the model matches PyTorch in both attention modes",
          "[reference][model][copy-gate][refine]") {
  model_t gate(0, init_scheme::timm, {}, with_gate), refine(0, init_scheme::timm, {}, with_refine);
  test::check_model_against_reference(gate, "model_copy_gate.safetensors");
  test::check_model_against_reference(refine, "model_refine.safetensors");
}

TEST_CASE("label fusion: the model matches PyTorch in both attention modes", "[reference][model][label-fusion]") {
  model_t fusion(0, init_scheme::timm, {}, with_fusion);
  test::check_model_against_reference(fusion, "model_label_fusion.safetensors");
}

TEST_CASE("fusion holes: the model matches PyTorch in both attention modes, on pixels with a hole of zeros",
          "[reference][model][label-fusion]") {
  model_t holes(0, init_scheme::timm, {}, with_holes);
  test::check_model_against_reference(holes, "model_fusion_holes.safetensors");
}

TEST_CASE("fusion holes: at step 0 the model is the label-fusion model, and a trained weight reads the prompt "
          "pair but never a masked query label",
          "[model][label-fusion]") {
  model_t fusion(7, init_scheme::timm, {}, with_fusion), holes(7, init_scheme::timm, {}, with_holes);
  check_zero_start(fusion, holes, 1, "decoder.fusion_holes.weight");
}

TEST_CASE("label fusion: at step 0 the model is the skip model, and a trained fusion weight reads the prompt "
          "pair but never a masked query label",
          "[model][label-fusion]") {
  model_t skip(7, init_scheme::timm, {}, with_skip), fusion(7, init_scheme::timm, {}, with_fusion);
  check_zero_start(skip, fusion, 1, "decoder.fusion.weight");
}

TEST_CASE("copy gate: it starts halfway between the skip model's value and the prompt label, and a shut or "
          "open gate gives either one exactly",
          "[model][copy-gate]") {
  model_t skip(7, init_scheme::timm, {}, with_skip), gate(7, init_scheme::timm, {}, with_gate);
  REQUIRE(gate.parameters().size() == skip.parameters().size() + 2);
  const auto a = skip.parameters().values().to_host(), b = gate.parameters().values().to_host();
  REQUIRE(std::equal(a.begin(), a.end(), b.begin()));  // the gate is declared last, at zero
  for (std::size_t i = a.size(); i < b.size(); ++i) REQUIRE(b[i] == 0.f);
  set_param(skip, "decoder.skip.weight", 0.05f);  // a trained skip, so that v depends on the pixels
  set_param(gate, "decoder.skip.weight", 0.05f);

  const ftensor pixels = uniform({2, 4, 16, 16}, 3);
  const auto px = pixels.to_host();
  const int64_t hw = 256;
  // Under full attention slot k predicts itself, and copies slot k − 2: the query label (3) the prompt
  // label (1). Under the block-causal mask slot k predicts k + 1 and copies k − 1.
  for (auto [kind, back] : {std::pair{attention_kind::full, 2}, std::pair{attention_kind::block_causal, 1}}) {
    INFO((kind == attention_kind::full ? "full" : "block-causal"));
    const auto v = skip.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host();
    auto copied = [&](int64_t b, int64_t k, int64_t i) {
      return k - back >= 0 ? px[std::size_t((b * 4 + k - back) * hw + i)] : 0.f;
    };
    set_param(gate, "decoder.gate.bias", 0.f);
    auto half = gate.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host();
    set_param(gate, "decoder.gate.bias", -40.f);
    auto shut = gate.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host();
    set_param(gate, "decoder.gate.bias", 40.f);
    auto open = gate.forward(pixels, sequence_roles(1, 4), nullptr, kind).value().to_host();
    double worst_half = 0, worst_shut = 0, worst_open = 0;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t k = 0; k < 4; ++k)
        for (int64_t i = 0; i < hw; ++i) {
          const auto j = std::size_t((b * 4 + k) * hw + i);
          worst_half = std::max(worst_half, double(std::abs(half[j] - 0.5f * (v[j] + copied(b, k, i)))));
          worst_shut = std::max(worst_shut, double(std::abs(shut[j] - v[j])));
          worst_open = std::max(worst_open, double(std::abs(open[j] - copied(b, k, i))));
        }
    CHECK(worst_half < 1e-5);
    CHECK(worst_shut < 1e-5);
    CHECK(worst_open < 1e-5);
  }
}

TEST_CASE("refinement: at step 0 the model is the skip model, output for output, and it reads the pixels",
          "[model][refine]") {
  model_t skip(7, init_scheme::timm, {}, with_skip), refine(7, init_scheme::timm, {}, with_refine);
  check_zero_start(skip, refine, 5, "decoder.refine_out.weight");
}

TEST_CASE("copy gate, refinement, label fusion and fusion holes: they need the pixel skip (fusion holes label fusion), checkpoints say they have them, "
          "and a model without them refuses one",
          "[io][copy-gate][refine][label-fusion]") {
  REQUIRE_THROWS_WITH(model_t(1, init_scheme::timm, {}, {.copy_gate = true}), Catch::Contains("pixel_skip"));
  REQUIRE_THROWS_WITH(model_t(1, init_scheme::timm, {}, {.refine = true}), Catch::Contains("pixel_skip"));
  REQUIRE_THROWS_WITH(model_t(1, init_scheme::timm, {}, {.label_fusion = true}), Catch::Contains("pixel_skip"));
  REQUIRE_THROWS_WITH(model_t(1, init_scheme::timm, {}, {.pixel_skip = true, .fusion_holes = true}),
                      Catch::Contains("label_fusion"));
  const auto dir = std::filesystem::temp_directory_path() / ("mvg_copy_gate_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string with = (dir / "gate.safetensors").string(), without = (dir / "skip.safetensors").string();
  model_t gate(1, init_scheme::timm, {}, with_gate), skip(1, init_scheme::timm, {}, with_skip);
  io::save_checkpoint(with, gate);
  io::save_checkpoint(without, skip);
  CHECK(io::decoder_options_of(with).copy_gate);
  CHECK(io::decoder_options_of(with).pixel_skip);
  CHECK_FALSE(io::decoder_options_of(without).copy_gate);
  CHECK_FALSE(io::decoder_options_of(with).refine);

  model_t other(2, init_scheme::timm, {}, with_skip);
  const auto before = other.parameters().values().to_host();
  REQUIRE_THROWS_WITH(io::load_checkpoint(with, other),
                      Catch::Contains(with) && Catch::Contains("decoder.gate.weight") && Catch::Contains("copy gate"));
  REQUIRE(other.parameters().values().to_host() == before);  // a refused load changes nothing
  model_t other_gate(2, init_scheme::timm, {}, with_gate);
  REQUIRE_THROWS_WITH(io::load_checkpoint(without, other_gate), Catch::Contains("decoder.gate.weight"));
  io::load_checkpoint(with, other_gate);
  REQUIRE(other_gate.parameters().values().to_host() == gate.parameters().values().to_host());

  const std::string refined = (dir / "refine.safetensors").string();
  io::save_checkpoint(refined, model_t(1, init_scheme::timm, {}, with_refine));
  CHECK(io::decoder_options_of(refined).refine);
  CHECK_FALSE(io::decoder_options_of(refined).copy_gate);
  REQUIRE_THROWS_WITH(io::load_checkpoint(refined, other),
                      Catch::Contains("decoder.refine.weight") && Catch::Contains("refinement"));

  const std::string fused = (dir / "fusion.safetensors").string();
  io::save_checkpoint(fused, model_t(1, init_scheme::timm, {}, with_fusion));
  CHECK(io::decoder_options_of(fused).label_fusion);
  CHECK(io::decoder_options_of(fused).pixel_skip);
  CHECK_FALSE(io::decoder_options_of(refined).label_fusion);
  REQUIRE_THROWS_WITH(io::load_checkpoint(fused, other),
                      Catch::Contains("decoder.fusion.weight") && Catch::Contains("label fusion") &&
                          Catch::Contains("--label-fusion"));

  const std::string holed = (dir / "holes.safetensors").string();
  io::save_checkpoint(holed, model_t(1, init_scheme::timm, {}, with_holes));
  CHECK(io::decoder_options_of(holed).fusion_holes);
  CHECK(io::decoder_options_of(holed).label_fusion);
  CHECK_FALSE(io::decoder_options_of(fused).fusion_holes);
  model_t other_fusion(2, init_scheme::timm, {}, with_fusion);
  REQUIRE_THROWS_WITH(io::load_checkpoint(holed, other_fusion),
                      Catch::Contains("decoder.fusion_holes.weight") && Catch::Contains("fusion holes") &&
                          Catch::Contains("--fusion-holes"));
  std::filesystem::remove_all(dir);
}
