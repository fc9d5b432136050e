#include "support/test_support.h"

using namespace tg;

TEST(Smoke, SquareGradientAtThree) {
  Tensor x = tensor(3.0, requires_grad());
  Tensor y = x * x;
  y.backward();
  EXPECT_TENSOR(x.grad(), {}, {6.0});
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
}

// The bias's gradient is the column sums of the upstream gradient: columns with
// different sums, so a wrong reduction (rows, or a total) cannot pass.
TEST(Smoke, BroadcastBiasGetsColumnSums) {
  Tensor b = zeros({3}, requires_grad());
  Tensor x = arange(12, kFloat).reshape({4, 3});
  Tensor g = tensor({{1.0, 0.0, 2.0}, {3.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {2.0, 0.0, 4.0}});
  (x + b).backward(g);
  EXPECT_TENSOR(b.grad(), {3}, {6, 4, 7});
  // Through a product: d/db sum((x + b) * x) = column sums of x.
  b.zero_grad();
  ((x + b) * x).sum().backward();
  EXPECT_TENSOR(b.grad(), {3}, {18, 22, 26});
}
