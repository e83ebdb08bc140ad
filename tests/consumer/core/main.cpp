// A program on mvg::core alone: builds the tiny model and runs a forward pass, with no image-file
// library in reach (CMakeLists.txt). The other includes are there to be compiled the same way: the
// checkpoint, optimiser and training-step headers are part of mvg::core too.
#include <mvg/backend/cpu/cpu.hpp>
#include <mvg/io/train_state.hpp>
#include <mvg/nn/model.hpp>
#include <mvg/objectives/shares.hpp>
#include <mvg/objectives/train_step.hpp>
#include <mvg/ops.hpp>
#include <mvg/optim/lr_schedule.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

using model_t = mvg::model<mvg::presets::tiny, mvg::cpu>;
constexpr int n = model_t::cfg.image_size;

int main() {
  std::vector<float> px(2 * n * n);  // one prompt image and its label
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>(i % 7) / 7.f;
  const auto pixels = model_t::tensor_type::from_host({1, 2, n, n}, px);
  mvg::autograd::no_grad inference;
  model_t net(/*seed=*/1);
  const auto pred = net.forward(pixels, mvg::sequence_roles(1, 2), nullptr, mvg::attention_kind::block_causal);
  const auto y = pred.value().to_host();
  double sum = 0;
  bool finite = true;
  for (float v : y) {
    finite = finite && std::isfinite(v);
    sum += std::abs(v);
  }
  std::printf("forward [1, 2, %d, %d] -> %zu values, mean |y| %g\n", n, n, y.size(), sum / y.size());
  return finite && sum > 0 && y.size() == 2u * n * n ? 0 : 1;
}
