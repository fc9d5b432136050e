// GradientTape: the Mojo autograd README's examples (../shared/seeds/004), watching
// tensors that do not require grad, nested tapes (a second derivative, as in
// TensorFlow), persistence and clear().
#include "support/test_support.h"

using namespace tg;
using tg::autograd::GradientTape;

TEST(GradientTape, MojoQuickStartProductSummed) {
  // var z = x * y; var loss = z.sum(); tape.backward()
  Tensor x = zeros({3, 4}, requires_grad()), y = ones({3, 4}, requires_grad());
  GradientTape tape;
  tape.enable();
  Tensor z = x * y;
  Tensor loss = z.sum();
  EXPECT_EQ(tape.num_recorded(), 2u);
  tape.backward();
  EXPECT_TENSOR(x.grad(), {3, 4}, std::vector<double>(12, 1.0));  // dloss/dx = y
  EXPECT_TENSOR(y.grad(), {3, 4}, std::vector<double>(12, 0.0));  // dloss/dy = x
  EXPECT_EQ(tape.num_recorded(), 0u);  // a non-persistent tape is consumed by backward
}

TEST(GradientTape, MojoXPlusTwoTimesThree) {
  // var y = x + 2; var z = y * 3; tape.backward(); tape.disable(); tape.clear()
  Tensor x = tensor(1.5, requires_grad());
  GradientTape tape;
  tape.enable();
  Tensor y = x + 2;
  Tensor z = y * 3;
  tape.backward();
  EXPECT_TENSOR(z, {}, {10.5});
  EXPECT_TENSOR(x.grad(), {}, {3.0});
  tape.disable();
  EXPECT_FALSE(tape.is_enabled());
  tape.clear();
  EXPECT_EQ(tape.num_recorded(), 0u);
}

TEST(GradientTape, BackwardUsesTheLastOneElementResult) {
  Tensor w = tensor({1.0, 2.0}, requires_grad());
  GradientTape tape;
  tape.enable();
  Tensor first = (w * w).sum();  // one element, but not the last
  Tensor second = (w * 10).sum();
  Tensor vector = w * 4;          // recorded after, but not one element
  tape.backward();
  EXPECT_TENSOR(w.grad(), {2}, {10, 10});
  EXPECT_TRUE(first.defined() && vector.defined() && second.defined());
}

TEST(GradientTape, WatchedTensorIsRecordedOnlyWhileEnabled) {
  Tensor x = tensor({1.0, 2.0, 3.0});
  GradientTape tape;
  tape.watch(x);
  EXPECT_FALSE((x * 2).grad_fn());  // watched, but the tape is not enabled
  Tensor y;
  {
    auto rec = tape.recording();
    EXPECT_TRUE(tape.is_enabled());
    EXPECT_TRUE(x.requires_grad());
    y = (x * x).sum();
    EXPECT_EQ(y.grad_fn()->name(), "SumBackward0");
  }
  EXPECT_FALSE(tape.is_enabled());
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE((x * 2).grad_fn());
  std::vector<Tensor> g = tape.gradient(y, {x});
  EXPECT_TENSOR(g[0], {3}, {2, 4, 6});
  EXPECT_FALSE(x.grad().defined());  // gradient() leaves .grad alone
}

TEST(GradientTape, NoTapeAndNoRequiresGradRecordsNothing) {
  Tensor x = tensor({1.0, 2.0});
  GradientTape tape;
  tape.enable();
  Tensor y = x * 3;  // x neither watched nor requiring grad
  EXPECT_FALSE(y.grad_fn());
  EXPECT_EQ(tape.num_recorded(), 0u);
  tape.disable();
  EXPECT_THROW_MSG(tape.backward(), "GradientTape.backward(): no one-element result was recorded");
}

TEST(GradientTape, NestedTapesGiveTheSecondDerivative) {
  // TensorFlow's example: y = x^3 at x = 3: dy/dx = 27, d2y/dx2 = 18.
  Tensor x = tensor(3.0);
  GradientTape outer, inner;
  outer.watch(x);
  inner.watch(x);
  outer.enable();
  inner.enable();
  Tensor y = x * x * x;
  inner.disable();
  Tensor dy = inner.gradient(y, {x})[0];  // recorded by the outer tape
  Tensor d2y = outer.gradient(dy, {x})[0];
  outer.disable();
  EXPECT_TENSOR(dy, {}, {27.0});
  EXPECT_TENSOR(d2y, {}, {18.0});
  EXPECT_FALSE(x.requires_grad());
}

TEST(GradientTape, OneWatcherLettingGoKeepsTheOtherRecording) {
  Tensor x = tensor(2.0);
  GradientTape a, b;
  a.watch(x);
  b.watch(x);
  a.enable();
  b.enable();
  a.disable();
  EXPECT_TRUE(x.requires_grad());  // b still watches it
  Tensor y = x * x;
  EXPECT_TENSOR(b.gradient(y, {x})[0], {}, {4.0});
  b.disable();
  EXPECT_FALSE(x.requires_grad());
}

TEST(GradientTape, ClearFreesWhatTheTapeRecorded) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  GradientTape tape;
  tape.enable();
  { Tensor y = (x * x).sum(); }  // the caller drops the result; the tape keeps its graph
  tape.disable();
  EXPECT_EQ(tape.num_recorded(), 2u);
  EXPECT_EQ(x.use_count(), 4);  // MulBackward0 saved x twice, x's AccumulateGrad holds it
  tape.clear();
  EXPECT_EQ(tape.num_recorded(), 0u);
  EXPECT_EQ(x.use_count(), 1);
}

TEST(GradientTape, NonPersistentTapeComputesOneGradient) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  GradientTape tape;
  tape.enable();
  Tensor y = (x * x).sum();
  tape.disable();
  EXPECT_TENSOR(tape.gradient(y, {x})[0], {2}, {2, 4});
  EXPECT_THROW_MSG(tape.gradient(y, {x}), "Trying to backward through the graph a second time");
}

TEST(GradientTape, PersistentTapeComputesManyGradients) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  GradientTape tape(/*persistent=*/true);
  tape.enable();
  Tensor y = (x * x).sum();
  Tensor z = (x * x * x).sum();
  tape.disable();
  EXPECT_TENSOR(tape.gradient(y, {x})[0], {2}, {2, 4});
  EXPECT_TENSOR(tape.gradient(y, {x})[0], {2}, {2, 4});
  EXPECT_TENSOR(tape.gradient(z, {x})[0], {2}, {3, 12});
  EXPECT_EQ(tape.num_recorded(), 5u);
}

TEST(GradientTape, UnconnectedSourceGetsUndefinedGradient) {
  Tensor x = tensor(1.0, requires_grad()), unused = tensor(2.0, requires_grad()), plain = tensor(3.0);
  GradientTape tape;
  tape.enable();
  Tensor y = x * 5;
  std::vector<Tensor> g = tape.gradient(y, {x, unused, plain});
  EXPECT_TENSOR(g[0], {}, {5.0});
  EXPECT_FALSE(g[1].defined());
  EXPECT_FALSE(g[2].defined());
}

TEST(GradientTape, NonScalarTargetIsSummed) {
  Tensor x = tensor({1.0, 2.0});
  GradientTape tape;
  tape.watch(x);
  tape.enable();
  Tensor y = x * x;
  EXPECT_TENSOR(tape.gradient(y, {x})[0], {2}, {2, 4});
}

TEST(GradientTape, WatchRejectsIntegerTensors) {
  GradientTape tape;
  EXPECT_THROW_MSG(tape.watch(tensor({1, 2})), "only floating-point tensors can be watched, got a tensor of dtype Long");
}
