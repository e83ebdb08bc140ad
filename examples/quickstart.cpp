// quickstart: the library in one page. Builds the tiny preset, runs a few autoregressive training
// steps on a synthetic prompt/query pair, saves a checkpoint, loads it back and predicts.
//   mvg_quickstart [--steps N] [--out FILE]   (--help explains them)
#include <cstdio>
#include <string>

#include <mvg/mvg.hpp>

#include "common/cli.hpp"

using model_t = mvg::model<mvg::presets::tiny, mvg::cpu>;  // mvg::cuda here moves it to the GPU
using tensor_t = model_t::tensor_type;
using var_t = model_t::var_type;
constexpr int n = model_t::cfg.image_size;

// Prompt image, prompt label, query image and query label: the label inverts the image's contrast.
static void make_pair(mvg::rng& g, std::vector<float>& img, std::vector<float>& lab) {
  const double cx = g.uniform(16, 48), cy = g.uniform(16, 48), r = g.uniform(6, 14);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const bool in = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
      img.push_back(in ? 0.8f : 0.3f);
      lab.push_back(1.f - img.back());
    }
}

static void quickstart(int steps, const std::string& out) {
  mvg::rng g(0);
  std::vector<float> px, py, x, y;
  make_pair(g, px, py);
  make_pair(g, x, y);
  std::vector<float> seq = px;  // [Px, Py, X]: the autoregressive visual sentence
  seq.insert(seq.end(), py.begin(), py.end());
  seq.insert(seq.end(), x.begin(), x.end());
  const auto pixels = tensor_t::from_host({1, 3, n, n}, seq);
  std::vector<float> targets = py;  // slot 0 predicts Py, slot 2 predicts Y
  targets.insert(targets.end(), y.begin(), y.end());
  const var_t target(tensor_t::from_host({1, 2, n, n}, targets));

  model_t net(/*seed=*/0);
  mvg::optim::adamw<float, mvg::cpu> opt(net.parameters());
  const auto roles = mvg::sequence_roles(1, 3);
  for (int step = 0; step < steps; ++step) {
    net.parameters().zero_grad();
    auto pred = net.forward(pixels, roles, nullptr, mvg::attention_kind::block_causal, {0, 2});
    auto loss = mvg::ops::smooth_l1_loss(pred, target, 0.01);
    mvg::autograd::backward(loss);
    opt.step(1e-3);
    std::printf("step %2d  loss %.4f\n", step, loss.value().item());
  }
  mvg::io::save_checkpoint(out, net, {{"mvg.step", std::to_string(steps)}});
  model_t reloaded;
  mvg::io::load_checkpoint(out, reloaded);
  mvg::autograd::no_grad inference;
  auto pred = reloaded.forward(pixels, roles, nullptr, mvg::attention_kind::block_causal, {2});
  const auto p = pred.value().to_host();
  double mae = 0;
  for (int i = 0; i < n * n; ++i) mae += std::abs(p[i] - y[i]) / (n * n);
  std::printf("saved %s; reloaded model's query MAE %.4f\n", out.c_str(), mae);
}

int main(int argc, char** argv) {
  int steps = 20;
  std::string out = "quickstart.safetensors";
  CLI::App app{"The library in one page: trains the tiny preset for a few autoregressive steps on a synthetic "
               "prompt/query pair (a disc whose label inverts its contrast), saves a checkpoint, loads it back "
               "and reports the reloaded model's error on the query.", "mvg_quickstart"};
  app.add_option("--steps", steps, "training steps")->capture_default_str();
  app.add_option("--out", out, "checkpoint file to write (safetensors)")->capture_default_str();
  return example::run(app, argc, argv, [&] { quickstart(steps, out); });
}
