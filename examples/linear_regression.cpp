// Linear regression with a hand-written training loop: no nn module, no optimizer,
// just tensors that require grad, backward() and a gradient-descent update under
// NoGradGuard. Fits y = 3x - 2 from 200 noisy samples and prints the fit.
#include <tensorgrad/tensorgrad.h>

#include <cmath>
#include <cstdio>

int main() {
  constexpr double kSlope = 3.0, kIntercept = -2.0, kLearningRate = 0.1;
  tg::manual_seed(0);
  const tg::Tensor x = tg::rand({200}) * 4 - 2;  // uniform in [-2, 2)
  const tg::Tensor y = kSlope * x + kIntercept + 0.1 * tg::randn({200});

  tg::Tensor w = tg::zeros({}, tg::requires_grad());
  tg::Tensor b = tg::zeros({}, tg::requires_grad());
  for (int step = 1; step <= 200; ++step) {
    tg::Tensor loss = (w * x + b - y).pow(2).mean();
    loss.backward();
    {
      // The update itself must not be recorded: it is not part of the model.
      tg::NoGradGuard no_grad;
      w.sub_(kLearningRate * w.grad());
      b.sub_(kLearningRate * b.grad());
    }
    w.mutable_grad().zero_();
    b.mutable_grad().zero_();
    if (step == 1 || step % 50 == 0) std::printf("step %3d  loss %.5f\n", step, loss.item<double>());
  }

  const double slope = w.item<double>(), intercept = b.item<double>();
  std::printf("fitted y = %.4f x %+.4f   (truth: y = %.1f x %+.1f)\n", slope, intercept, kSlope, kIntercept);
  // The noise (sd 0.1 over 200 samples) leaves the estimates within about 0.01 of the truth.
  const bool close = std::abs(slope - kSlope) < 0.05 && std::abs(intercept - kIntercept) < 0.05;
  std::printf("%s\n", close ? "close to the truth" : "NOT close to the truth");
  return close ? 0 : 1;
}
