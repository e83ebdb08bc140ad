// The decoder's pixel skip (mvg/nn/pixel_skip.hpp): against PyTorch (tests/reference/
// make_pixel_skip_reference.py), its zero start, which slots it reads, and its checkpoints.
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
constexpr nn::decoder_options with_skip{.pixel_skip = true};

ftensor uniform(shape s, uint64_t seed) { return test::uniform_tensor<float, test_backend>(s, seed); }
}  // namespace

TEST_CASE("pixel skip: the model matches PyTorch in both attention modes", "[reference][model][pixel-skip]") {
  model_t m(0, init_scheme::timm, {}, with_skip);
  test::check_model_against_reference(m, "model_pixel_skip.safetensors");
}

TEST_CASE("pixel skip: at step 0 the model is the paper's, weight for weight and output for output",
          "[model][pixel-skip]") {
  model_t plain(7), skip(7, init_scheme::timm, {}, with_skip);
  REQUIRE(skip.parameters().size() == plain.parameters().size() + 1);
  const auto a = plain.parameters().values().to_host(), b = skip.parameters().values().to_host();
  REQUIRE(std::equal(a.begin(), a.end(), b.begin()));  // the skip is declared last, at zero
  for (std::size_t i = a.size(); i < b.size(); ++i) REQUIRE(b[i] == 0.f);
  const ftensor pixels = uniform({2, 3, 16, 16}, 3);
  for (auto kind : {attention_kind::full, attention_kind::block_causal}) {
    const auto pa = plain.forward(pixels, sequence_roles(1, 3), nullptr, kind, {0, 2}).value().to_host();
    const auto pb = skip.forward(pixels, sequence_roles(1, 3), nullptr, kind, {0, 2}).value().to_host();
    REQUIRE(pa == pb);
  }
}

TEST_CASE("pixel skip: each prediction reads the three slots before its target, never the target",
          "[model][pixel-skip]") {
  using nn::pixel_skip_sources;
  using arr = std::array<int64_t, 3>;
  CHECK(pixel_skip_sources(attention_kind::block_causal, 2) == arr{2, 1, 0});  // X predicts Y: [X, Py, Px]
  CHECK(pixel_skip_sources(attention_kind::block_causal, 0) == arr{0, -1, -1});
  CHECK(pixel_skip_sources(attention_kind::full, 3) == arr{2, 1, 0});  // Y predicts itself: [X, Py, Px]
  CHECK(pixel_skip_sources(attention_kind::full, 0) == arr{-1, -1, -1});

  // With a trained (non-zero) skip, a masked query label's pixels still reach no prediction, and the
  // prompt label's pixels reach the query label's prediction through the skip.
  model_t m(5, init_scheme::timm, {}, with_skip);
  {
    auto& v = m.parameters().values();
    auto host = v.to_host();
    const auto& info = m.parameters().infos().back();
    REQUIRE(info.name == "decoder.skip.weight");
    rng g(2);
    for (int64_t i = 0; i < info.dims.numel(); ++i) host[std::size_t(info.offset + i)] = float(0.1 * g.normal());
    v.copy_from(ftensor::from_host(v.shape(), host));
  }
  const int64_t G = ref_cfg.tokens_per_slot();
  std::vector<float> mask(4 * G, 0.f);
  std::fill(mask.begin() + 3 * G, mask.end(), 1.f);  // the query label, masked (MIM inference)
  const ftensor tm = ftensor::from_host({1, 4 * G}, mask);
  auto predict = [&](const ftensor& px) {
    return m.forward(px, sequence_roles(1, 4), &tm, attention_kind::full).value().to_host();
  };
  const ftensor pixels = uniform({1, 4, 16, 16}, 4);
  auto changed = [&](int64_t s) {
    auto host = pixels.to_host();
    for (int64_t i = 0; i < 256; ++i) host[std::size_t(s * 256 + i)] = 1.f - host[std::size_t(s * 256 + i)];
    return ftensor::from_host(pixels.shape(), host);
  };
  const auto base = predict(pixels);
  CHECK(predict(changed(3)) == base);
  CHECK(predict(changed(1)) != base);
}

TEST_CASE("pixel skip: checkpoints say which decoder they need, and a model without it refuses one",
          "[io][pixel-skip]") {
  const auto dir = std::filesystem::temp_directory_path() / ("mvg_pixel_skip_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string with = (dir / "skip.safetensors").string(), without = (dir / "plain.safetensors").string();
  model_t skip(1, init_scheme::timm, {}, with_skip), plain(1);
  io::save_checkpoint(with, skip);
  io::save_checkpoint(without, plain);
  CHECK(io::decoder_options_of(with).pixel_skip);
  CHECK_FALSE(io::decoder_options_of(without).pixel_skip);

  model_t other(2);
  const auto before = other.parameters().values().to_host();
  REQUIRE_THROWS_WITH(io::load_checkpoint(with, other),
                      Catch::Contains(with) && Catch::Contains("decoder.skip.weight") && Catch::Contains("pixel skip"));
  REQUIRE(other.parameters().values().to_host() == before);  // a refused load changes nothing
  model_t other_skip(2, init_scheme::timm, {}, with_skip);
  REQUIRE_THROWS_WITH(io::load_checkpoint(without, other_skip), Catch::Contains("decoder.skip.weight"));
  io::load_checkpoint(with, other_skip);
  REQUIRE(other_skip.parameters().values().to_host() == skip.parameters().values().to_host());
  std::filesystem::remove_all(dir);
}
