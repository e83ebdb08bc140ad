// Every op's forward output and gradients against PyTorch (tests/reference/make_ops_reference.py).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mvg/ops.hpp"
#include "support/gradcheck.hpp"
#include "support/reference.hpp"

using namespace mvg;
using test::dtensor;
using test::dvar;

namespace {

const io::safetensors_file& reference() {
  static const auto f = io::safetensors_file::read(test::reference_path("ops.safetensors"));
  return f;
}

dtensor load(const std::string& name) {
  const auto& e = reference().at(name);
  return dtensor::from_host(e.dims, reference().values<double>(name));
}

// Runs the op of one case with the reference inputs; returns the output var.
dvar run_case(const nlohmann::json& c, const std::vector<dvar>& in) {
  const std::string op = c["op"];
  const auto& p = c["params"];
  const std::string name = c["name"];
  if (op == "matmul") return ops::matmul(in[0], in[1], p["trans_a"].get<bool>(), p["trans_b"].get<bool>());
  if (op == "linear") return ops::linear(in[0], in[1], in[2]);
  if (op == "add") return ops::add(in[0], in[1]);
  if (op == "sub") return ops::sub(in[0], in[1]);
  if (op == "mul") return ops::mul(in[0], in[1]);
  if (op == "scale") return ops::scale(in[0], p["factor"].get<double>());
  if (op == "permute") return ops::permute(in[0], p["perm"].get<std::vector<int>>());
  if (op == "concat") return ops::concat(in, p["axis"].get<int>());
  if (op == "slice") return ops::slice(in[0], p["axis"].get<int>(), p["begin"].get<int64_t>(), p["end"].get<int64_t>());
  if (op == "sum" || op == "mean") {
    const bool is_sum = op == "sum";
    if (p["axis"].is_null()) return is_sum ? ops::sum(in[0]) : ops::mean(in[0]);
    const int ax = p["axis"].get<int>();
    const bool keep = p.value("keepdim", false);
    return is_sum ? ops::sum(in[0], ax, keep) : ops::mean(in[0], ax, keep);
  }
  if (op == "gelu") return ops::gelu(in[0]);
  if (op == "layer_norm") return ops::layer_norm(in[0], in[1], in[2], p["eps"].get<double>());
  if (op == "channel_layer_norm") return ops::channel_layer_norm(in[0], in[1], in[2], p["eps"].get<double>());
  if (op == "softmax") {
    if (!p.contains("mask_kind")) return ops::softmax(in[0]);
    static thread_local dtensor mask;
    mask = load(name + ".mask");
    return ops::softmax(in[0], &mask, p["mask_kind"] == "keep" ? ops::mask_kind::keep : ops::mask_kind::additive);
  }
  if (op == "attention") {
    using m = ops::attention_mask<double, test_backend>;
    const int64_t heads = p["heads"];
    if (p["mask_kind"] == "none") return ops::attention(in[0], heads, m::none());
    if (p["mask_kind"] == "keep") {
      // The reference stores the block-causal mask explicitly; ours is implicit. Check they agree.
      const auto keep = reference().values<double>(name + ".mask");
      const int64_t t = p["tokens"], g = p["tokens_per_slot"];
      for (int64_t i = 0; i < t; ++i)
        for (int64_t j = 0; j < t; ++j) REQUIRE(keep[i * t + j] == ((j / g <= i / g) ? 1.0 : 0.0));
      return ops::attention(in[0], heads, m::block_causal(g));
    }
    return ops::attention(in[0], heads, m::from_additive(load(name + ".mask")));
  }
  if (op == "conv2d")
    return ops::conv2d(in[0], in[1], in[2], {p["stride"].get<int64_t>(), p["padding"].get<int64_t>()});
  if (op == "pixel_shuffle") return ops::pixel_shuffle(in[0], p["p"].get<int64_t>(), p["C"].get<int64_t>());
  if (op == "smooth_l1" || op == "l1" || op == "l2") {
    static thread_local dtensor w;
    const bool weighted = p["reduction"] == "weighted_mean";
    if (weighted) w = load(name + ".in.2");
    const ops::loss_kind k = op == "l1" ? ops::loss_kind::l1 : op == "l2" ? ops::loss_kind::l2 : ops::loss_kind::smooth_l1;
    return ops::regression_loss(in[0], in[1], weighted ? &w : nullptr, {k, p.value("beta", 0.0)});
  }
  FAIL("no mapping for reference op " << op);
  return {};
}

}  // namespace

TEST_CASE("every op matches PyTorch: outputs and gradients", "[reference]") {
  const auto cases = nlohmann::json::parse(reference().metadata().at("cases"));
  REQUIRE(cases.size() >= 40);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SECTION(name) {
      const std::vector<int> grad_inputs = c["grad_inputs"].get<std::vector<int>>();
      std::vector<dvar> in;
      for (std::size_t k = 0; k < c["inputs"].size(); ++k) {
        const bool wrt = std::find(grad_inputs.begin(), grad_inputs.end(), int(k)) != grad_inputs.end();
        const bool is_weight = c["op"].get<std::string>().find("l1") != std::string::npos ||
                               c["op"].get<std::string>() == "l2";
        if (is_weight && k == 2) break;  // loss weights are passed as a plain tensor
        in.emplace_back(load(name + ".in." + std::to_string(k)), wrt);
      }
      autograd::current_tape().clear();
      dvar out = run_case(c, in);
      const auto expected = reference().values<double>(name + ".out");
      REQUIRE(out.value().shape() == reference().at(name + ".out").dims);
      REQUIRE(test::max_abs(expected) > 0);
      CHECK(test::scaled_max_error(out.value().to_host(), expected) < 1e-10);
      const dtensor proj = load(name + ".proj");
      autograd::backward(out, &proj);
      for (int k : grad_inputs) {
        INFO("gradient of input " << k);
        const auto g = reference().values<double>(name + ".grad." + std::to_string(k));
        REQUIRE(in[k].grad().defined());
        REQUIRE(test::max_abs(g) > 0);
        CHECK(test::scaled_max_error(in[k].grad().to_host(), g) < 1e-10);
      }
    }
  }
}
