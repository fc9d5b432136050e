// A custom autograd Function: sigmoid written by hand, forward and backward, as
// with libtorch's torch::autograd::Function. Its gradient is printed beside central
// finite differences and the built-in sigmoid's, and checked with tg's gradcheck.
#include <tensorgrad/tensorgrad.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

using tg::autograd::AutogradContext;
using tg::autograd::variable_list;

struct Sigmoid : tg::autograd::Function<Sigmoid> {
  static tg::Tensor forward(AutogradContext* ctx, const tg::Tensor& x) {
    tg::Tensor y = 1 / (1 + (-x).exp());
    // The derivative needs only the output: dσ/dx = σ(x)(1 - σ(x)).
    ctx->save_for_backward({y});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const tg::Tensor y = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * y * (1 - y)};
  }
};

int main() {
  // float64, so that finite differences are accurate (and gradcheck accepts it).
  const tg::Tensor x = tg::tensor({-3.0, -0.5, 0.0, 0.7, 2.5}, tg::requires_grad().dtype(tg::kDouble));
  // A weighted sum, so that each element's gradient differs from the others'.
  const tg::Tensor weights = tg::tensor({1.0, -2.0, 0.5, 3.0, 1.5}, tg::kDouble);
  auto objective = [&](const tg::Tensor& input) { return (Sigmoid::apply(input) * weights).sum(); };

  tg::Tensor y = objective(x);
  y.backward();
  std::printf("f(x) = sum(w * sigmoid(x)) = %.10f, grad_fn of sigmoid(x): %s\n", y.item<double>(),
              Sigmoid::apply(x).grad_fn()->name().c_str());

  const tg::Tensor builtin = tg::autograd::grad({(x.sigmoid() * weights).sum()}, {x})[0];
  const double h = 1e-6;
  double worst = 0;
  std::printf("%8s %16s %16s %16s\n", "x", "custom grad", "finite diff", "built-in grad");
  for (int64_t i = 0; i < x.numel(); ++i) {
    tg::NoGradGuard no_grad;
    tg::Tensor up = x.detach().clone(), down = x.detach().clone();
    up[i].add_(h);
    down[i].sub_(h);
    const double numeric = (objective(up).item<double>() - objective(down).item<double>()) / (2 * h);
    const double analytic = x.grad()[i].item<double>();
    worst = std::max(worst, std::abs(analytic - numeric));
    std::printf("%8.3f %16.10f %16.10f %16.10f\n", x[i].item<double>(), analytic, numeric,
                builtin[i].item<double>());
  }
  std::printf("largest |custom - finite difference| = %.2e\n", worst);

  const auto check = tg::autograd::gradcheck([](const tg::Tensor& input) { return Sigmoid::apply(input); }, {x});
  std::printf("gradcheck: %s\n", check ? "passed" : check.message.c_str());
  return worst < 1e-6 && check ? 0 : 1;
}
