#include "support/test_support.h"

using namespace tg;

TEST(Smoke, SquareGradientAtThree) {
  Tensor x = tensor(3.0, requires_grad());
  Tensor y = x * x;
  y.backward();
  EXPECT_TENSOR(x.grad(), {}, {6.0});
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
}

TEST(Smoke, BroadcastBiasGetsColumnSums) {
  Tensor b = zeros({3}, requires_grad());
  Tensor x = arange(12, kFloat).reshape({4, 3});
  (x + b).sum().backward();
  EXPECT_TENSOR(b.grad(), {3}, {4, 4, 4});
}
