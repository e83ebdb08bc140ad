// A user's program: include the umbrella header from the installed tree and run a tiny graph.
#include <mvg/mvg.hpp>

#include <cstdio>

int main() {
  using T = mvg::tensor<float, mvg::cpu>;
  mvg::var<float, mvg::cpu> x(T::from_host({2}, {1.f, 2.f}), true);
  auto y = mvg::ops::sum(mvg::ops::mul(x, x));
  mvg::autograd::backward(y);
  const auto g = x.grad().to_host();
  std::printf("loss %g grad %g %g\n", y.value().item(), g[0], g[1]);
  return (g[0] == 2.f && g[1] == 4.f) ? 0 : 1;
}
