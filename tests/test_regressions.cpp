// One test per bug found by the reliability work (fuzz/ and the libtorch
// comparisons of test_numerics_torch.cpp), named after what went wrong, so that it
// stays fixed. Expected values are libtorch 1.13's.
#include <cmath>
#include <limits>

#include "support/test_support.h"

using namespace tg;
using namespace tg::indexing;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// index() applied several 1-D index tensors one dim after the other (an outer
// product), where libtorch pairs them up: x[[2, 0], [3, 1]] is [x[2, 3], x[0, 1]].
TEST(Regressions, SeveralIndexTensorsAreRefusedNotIndexedOneByOne) {
  const Tensor x = arange(12).reshape({3, 4});
  EXPECT_THROW_MSG(x.index({tensor({2, 0}), tensor({3, 1})}),
                   "tensorgrad's index() accepts at most one tensor index of one dimension, got 2");
  EXPECT_THROW_MSG(x.index({tensor({true, false, true}), tensor({3, 1})}), "got 2");
  EXPECT_TENSOR(x.index({tensor({2, 0})}), {2, 4}, {8, 9, 10, 11, 0, 1, 2, 3});
  EXPECT_TENSOR(x.index({tensor(int64_t{2}), tensor({3, 1})}), {2}, {11, 9});
  EXPECT_TENSOR(x.index({Slice(), tensor({3, 1})}), {3, 2}, {3, 1, 7, 5, 11, 9});
}

// relu(NaN) was 0 and its gradient 0; libtorch's relu (clamp_min) keeps NaN and
// its backward (threshold_backward) passes the gradient through at NaN.
TEST(Regressions, ReluPropagatesNaN) {
  const Tensor x = tensor({kNaN, -1.0, 2.0}, kDouble).requires_grad_();
  const Tensor y = x.relu();
  EXPECT_TENSOR(y, {3}, {kNaN, 0, 2});
  y.sum().backward();
  EXPECT_TENSOR(x.grad(), {3}, {1, 0, 1});
}

// amax/amin treated a NaN extremum as equal to the NaN elements; libtorch's
// backward compares with ==, finds no element equal to NaN and divides by that
// count of zero: the whole gradient is NaN. max()/min() do match NaN elements.
TEST(Regressions, AmaxOfNaNHasANaNGradientAsLibtorch) {
  const Tensor x = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  x.amax(0).backward();
  EXPECT_TENSOR(x.grad(), {3}, {kNaN, kNaN, kNaN});
  const Tensor y = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  y.amin(0).backward();
  EXPECT_TENSOR(y.grad(), {3}, {kNaN, kNaN, kNaN});
  const Tensor z = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  z.max().backward();
  EXPECT_TENSOR(z.grad(), {3}, {0, 1, 0});
}

// The gradient of a / b with respect to b was computed as a / (b * b), which
// overflows (to a zero or NaN gradient) where libtorch's (a / b) / b does not.
TEST(Regressions, DivisionGradientDoesNotOverflowInTheDivisorSquared) {
  const Tensor a = tensor({1e300, kInf}, kDouble).requires_grad_();
  const Tensor b = tensor({1e200, 1e308}, kDouble).requires_grad_();
  (a / b).sum().backward();
  EXPECT_TENSOR(b.grad(), {2}, {-1e-100, -kInf}, 1e-110);
}

// x^-0.5 used pow(), whose value at -inf is 0; libtorch computes it as rsqrt,
// giving NaN, which the gradient of x^0.5 at -inf inherits.
TEST(Regressions, PowerMinusOneHalfIsRsqrtAsLibtorch) {
  EXPECT_TENSOR(tensor({-kInf, 4.0}, kDouble).pow(-0.5), {2}, {kNaN, 0.5});
  const Tensor x = tensor({-kInf, 4.0}, kDouble).requires_grad_();
  x.pow(0.5).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {kNaN, 0.25});
}
