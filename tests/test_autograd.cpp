// The engine's semantics, checked against libtorch's behaviour and error texts,
// and the worked examples of the specification (../shared/seeds) with their numbers.
#include <pthread.h>

#include <cmath>

#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;

// ---- the specification's worked examples ------------------------------------------------
TEST(SeedExamples, SquareAtThreeIsSix) {
  Tensor x = tensor(3.0, requires_grad());
  (x * x).backward();
  EXPECT_TENSOR(x.grad(), {}, {6.0});
}

TEST(SeedExamples, FifthPowerAtTwoIsEighty) {
  Tensor x = tensor(2.0, requires_grad());
  x.pow(5).backward();
  EXPECT_TENSOR(x.grad(), {}, {80.0});
}

TEST(SeedExamples, ThreeXSquaredAtTwoIsTwelve) {
  Tensor x = tensor(2.0, requires_grad());
  (3 * x * x).backward();
  EXPECT_TENSOR(x.grad(), {}, {12.0});
}

TEST(SeedExamples, MultipathSumsToFive) {
  Tensor x = tensor(1.5, requires_grad());
  ((x + x) + (3 * x)).backward();
  EXPECT_TENSOR(x.grad(), {}, {5.0});
}

TEST(SeedExamples, SquaredAffineGives66And44) {
  // L = (x*y + 5)^2 at (2, 3): dL/dx = 2(xy+5)y = 66, dL/dy = 2(xy+5)x = 44.
  Tensor x = tensor(2.0, requires_grad()), y = tensor(3.0, requires_grad());
  Tensor L = (x * y + 5).pow(2);
  L.backward();
  EXPECT_TENSOR(L, {}, {121.0});
  EXPECT_TENSOR(x.grad(), {}, {66.0});
  EXPECT_TENSOR(y.grad(), {}, {44.0});
}

TEST(SeedExamples, GradientsAccumulateThreeThenFive) {
  Tensor x = tensor(1.0, requires_grad());
  (3 * x).backward();
  EXPECT_TENSOR(x.grad(), {}, {3.0});
  (5 * x).backward();
  EXPECT_TENSOR(x.grad(), {}, {8.0});
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(SeedExamples, SliceGradientIsOnesThenZeros) {
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0, 5.0}, requires_grad());
  x.index({indexing::Slice(indexing::None, 3)}).sum().backward();
  EXPECT_TENSOR(x.grad(), {5}, {1, 1, 1, 0, 0});
}

TEST(SeedExamples, BroadcastBiasGetsColumnSums) {
  Tensor b = zeros({3}, requires_grad());
  Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}, {7.0, 8.0, 9.0}, {10.0, 11.0, 12.0}});
  // The upstream gradient's columns sum to 4, 6 and 9: the bias gets exactly those.
  Tensor g = tensor({{1.0, 0.0, 2.0}, {1.0, 1.0, 0.0}, {0.0, 3.0, 5.0}, {2.0, 2.0, 2.0}});
  (x + b).backward(g);
  EXPECT_TENSOR(b.grad(), {3}, {4, 6, 9});
}

// ---- backward() semantics -------------------------------------------------------------------
TEST(Backward, NonScalarNeedsGradient) {
  Tensor x = ones({2, 2}, requires_grad());
  Tensor y = x * 2;
  EXPECT_THROW_MSG(y.backward(), "grad can be implicitly created only for scalar outputs");
  y.backward(full({2, 2}, 0.5));
  EXPECT_TENSOR(x.grad(), {2, 2}, {1, 1, 1, 1});
}

// As libtorch's C++ backward (validate_outputs on the roots): a gradient that
// broadcasts to the output is summed down to it and cast to its dtype; another
// shape raises.
TEST(Backward, RootGradientIsConformedToTheOutput) {
  Tensor x = ones({2}, requires_grad());
  EXPECT_THROW_MSG((x * 2).backward(ones({3})),
                   "invalid gradient at index 0 - got [3] but expected shape compatible with [2]");
  (x * 2).backward(ones({3, 2}));
  EXPECT_TENSOR(x.grad(), {2}, {6, 6});
  Tensor d = ones({2}, dtype(kDouble).requires_grad(true));
  Tensor y = d * 2;
  y.retain_grad();
  y.backward(full({2}, 0.5f));
  EXPECT_EQ(y.grad().dtype(), kDouble);
  EXPECT_EQ(d.grad().dtype(), kDouble);
  EXPECT_TENSOR(d.grad(), {2}, {1, 1});
  EXPECT_EQ(ag::grad({d * 3}, {d}, {ones({2}, dtype(kFloat))})[0].dtype(), kDouble);
}

TEST(Backward, NoGradFnRaises) {
  Tensor x = ones({2});
  EXPECT_THROW_MSG(x.sum().backward(), "element 0 of tensors does not require grad and does not have a grad_fn");
}

TEST(Backward, SecondBackwardThroughFreedGraphRaises) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = (x * x).sum();
  y.backward();
  EXPECT_THROW_MSG(y.backward(), "Trying to backward through the graph a second time");
}

TEST(Backward, RetainGraphAllowsSecondBackward) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = (x * x).sum();
  y.backward({}, true);
  y.backward();
  EXPECT_TENSOR(x.grad(), {2}, {4, 8});
}

TEST(Backward, GraphWithoutSavedTensorsCanRunTwice) {
  // libtorch only refuses when freed saved tensors are needed.
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = (x + 1).sum();
  y.backward();
  y.backward();
  EXPECT_TENSOR(x.grad(), {2}, {2, 2});
}

TEST(Backward, SharedSubexpressionAccumulates) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor s = x * x;  // used twice
  (s * 3 + s.exp()).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {2 * 1 * (3 + std::exp(1.0)), 2 * 2 * (3 + std::exp(4.0))});
}

TEST(Backward, DtypeOfGradientFollowsInput) {
  Tensor x = tensor({1.0f, 2.0f}, requires_grad());
  Tensor d = tensor({2.0, 3.0}, dtype(kDouble));
  Tensor y = (x * d).sum();  // float64 result
  EXPECT_EQ(y.dtype(), kDouble);
  y.backward();
  EXPECT_EQ(x.grad().dtype(), kFloat);
  EXPECT_TENSOR(x.grad(), {2}, {2, 3});
}

// A node keeps its inputs' shapes packed in one list (Node::next_shape): here the
// second input's five dims start after the first input's three, past the list's
// inline room, and each gradient is summed down to its own shape and cast to its
// own dtype.
TEST(Backward, EachInputsGradientIsSummedToItsOwnShapeAndDtype) {
  Tensor x = tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}).reshape({2, 1, 3}).requires_grad_(true);
  Tensor y = arange(12, kDouble).reshape({4, 1, 1, 1, 3}).requires_grad_(true);
  Tensor z = x * y;
  EXPECT_TRUE(z.sizes().equals({4, 1, 2, 1, 3}));
  z.sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat);
  EXPECT_TENSOR(x.grad(), {2, 1, 3}, {18, 22, 26, 18, 22, 26});
  EXPECT_EQ(y.grad().dtype(), kDouble);
  EXPECT_TENSOR(y.grad(), {4, 1, 1, 1, 3}, {5, 7, 9, 5, 7, 9, 5, 7, 9, 5, 7, 9});
}

TEST(Backward, InputsRestrictsAccumulation) {
  Tensor a = tensor(2.0, requires_grad()), b = tensor(3.0, requires_grad());
  Tensor y = a * b;
  y.backward({}, nullopt, false, TensorList{a});
  EXPECT_TENSOR(a.grad(), {}, {3.0});
  EXPECT_FALSE(b.grad().defined());
}

// ---- autograd::grad --------------------------------------------------------------------------------
TEST(Grad, ReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = tensor({1.0, 2.0, 3.0}, requires_grad());
  Tensor y = (x * x).sum();
  auto g = ag::grad({y}, {x});
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TENSOR(g[0], {3}, {2, 4, 6});
  EXPECT_FALSE(x.grad().defined());
}

TEST(Grad, NonLeafInput) {
  Tensor x = tensor(2.0, requires_grad());
  Tensor h = x * 3;
  Tensor y = h * h;
  auto g = ag::grad({y}, {h, x});
  EXPECT_TENSOR(g[0], {}, {12.0});
  EXPECT_TENSOR(g[1], {}, {36.0});
}

// Several requested gradients at one node (GraphTask's capture lists): each comes
// back at its own place, in the order asked.
TEST(Grad, GradientsAtOneNodeComeBackInTheOrderAsked) {
  Tensor x = tensor(2.0, requires_grad()), w = tensor(5.0, requires_grad());
  Tensor h = x * 3;
  Tensor y = h * w;
  auto g = ag::grad({y}, {w, x, h, x});
  ASSERT_EQ(g.size(), 4u);
  EXPECT_TENSOR(g[0], {}, {6.0});
  EXPECT_TENSOR(g[1], {}, {15.0});
  EXPECT_TENSOR(g[2], {}, {5.0});
  EXPECT_TENSOR(g[3], {}, {15.0});
}

TEST(Grad, UnusedInputNeedsAllowUnused) {
  Tensor x = tensor(2.0, requires_grad()), z = tensor(1.0, requires_grad());
  Tensor y = x * 2;
  EXPECT_THROW_MSG(ag::grad({y}, {x, z}, {}, true), "appears to not have been used in the graph");
  auto g = ag::grad({y}, {x, z}, {}, nullopt, false, true);
  EXPECT_TENSOR(g[0], {}, {2.0});
  EXPECT_FALSE(g[1].defined());
}

TEST(Grad, InputMustRequireGrad) {
  Tensor x = tensor(2.0, requires_grad()), c = tensor(1.0);
  EXPECT_THROW_MSG(ag::grad({x * c}, {c}), "One of the differentiated Tensors does not require grad");
}

TEST(Grad, SecondAndThirdDerivatives) {
  Tensor x = tensor(2.0, requires_grad());
  Tensor y = x.pow(3);
  Tensor d1 = ag::grad({y}, {x}, {}, nullopt, true)[0];  // 3x^2 = 12
  Tensor d2 = ag::grad({d1}, {x}, {}, nullopt, true)[0];  // 6x = 12
  Tensor d3 = ag::grad({d2}, {x})[0];                     // 6
  EXPECT_TENSOR(d1, {}, {12.0});
  EXPECT_TENSOR(d2, {}, {12.0});
  EXPECT_TENSOR(d3, {}, {6.0});
}

TEST(Grad, CreateGraphThroughSavedOutput) {
  // exp saves its output; its second derivative needs the output's link to the node.
  Tensor x = tensor(0.5, dtype(kDouble).requires_grad(true));
  Tensor d1 = ag::grad({x.exp()}, {x}, {}, nullopt, true)[0];
  Tensor d2 = ag::grad({d1}, {x})[0];
  EXPECT_NEAR(d2.item<double>(), std::exp(0.5), 1e-15);
}

TEST(Grad, BackwardWithCreateGraphMakesDifferentiableGrad) {
  Tensor x = tensor(3.0, requires_grad());
  (x * x * x).backward({}, nullopt, true);
  Tensor g = x.grad();  // 3x^2 = 27, differentiable
  EXPECT_TRUE(g.requires_grad());
  Tensor gg = ag::grad({g}, {x})[0];
  EXPECT_TENSOR(gg, {}, {18.0});
  // x.grad's graph leads back to x: the reference cycle libtorch documents for
  // create_graph=true (and leaks the same way). Resetting the gradient breaks it.
  x.mutable_grad() = Tensor();
}

// ---- leaves, retain_grad, detach, requires_grad_ --------------------------------------------------
TEST(Leaves, IsLeafAndGradFn) {
  Tensor x = ones({2}, requires_grad());
  Tensor y = x * 2;
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(x.grad_fn(), nullptr);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward1");
  EXPECT_EQ((x * x).grad_fn()->name(), "MulBackward0");
  EXPECT_EQ(y.grad_fn()->next_edges()[0].function->name(), "AccumulateGrad");
  EXPECT_TRUE(ones({2}).is_leaf());
}

TEST(Leaves, NoNodeWithoutRequiresGrad) {
  Tensor x = ones({2}), y = x * 2 + 1;
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_FALSE(y.requires_grad());
}

TEST(Leaves, RetainGradOnNonLeaf) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 3;
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  (h * h).sum().backward();
  EXPECT_TENSOR(h.grad(), {2}, {6, 12});
  EXPECT_TENSOR(x.grad(), {2}, {18, 36});
}

TEST(Leaves, NonLeafWithoutRetainGradHasNoGrad) {
  Tensor x = tensor({1.0}, requires_grad());
  Tensor h = x * 3;
  h.sum().backward();
  EXPECT_FALSE(h.grad().defined());
}

TEST(Leaves, DetachSharesDataButNotHistory) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = x * 2;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.data_ptr(), y.data_ptr());
  Tensor z = (y * d).sum();
  z.backward();
  EXPECT_TENSOR(x.grad(), {2}, {4, 8});  // d is a constant: dz/dx = 2*d
}

TEST(Leaves, RequiresGradFlagRules) {
  Tensor x = ones({2});
  x.requires_grad_();
  EXPECT_TRUE(x.requires_grad());
  Tensor y = x * 2;
  EXPECT_THROW_MSG(y.requires_grad_(false), "you can only change requires_grad flags of leaf variables");
  Tensor i = ones({2}, kLong);
  EXPECT_THROW_MSG(i.requires_grad_(), "only Tensors of floating point dtype can require gradients");
  x.requires_grad_(false);
  EXPECT_FALSE(x.requires_grad());
}

TEST(Leaves, MutableGradCanBeAssignedAndCleared) {
  Tensor x = ones({2}, requires_grad());
  x.mutable_grad() = full({2}, 5.0);
  (x * 1).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {6, 6});
  x.mutable_grad() = Tensor();
  EXPECT_FALSE(x.grad().defined());
}

// ---- grad mode -------------------------------------------------------------------------------------
TEST(GradModeTest, NoGradGuardRecordsNothing) {
  Tensor x = ones({2}, requires_grad());
  {
    NoGradGuard guard;
    EXPECT_FALSE(GradMode::is_enabled());
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE(GradMode::is_enabled());
  {
    AutoGradMode off(false);
    EXPECT_FALSE(ag::GradMode::is_enabled());
    AutoGradMode on(true);
    EXPECT_TRUE((x * 2).requires_grad());
  }
}

// ---- hooks -----------------------------------------------------------------------------------------
TEST(Hooks, LeafHookReplacesGradient) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  x.register_hook([](Tensor g) { return g * 10; });
  (x * 2).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {20, 20});
}

TEST(Hooks, NonLeafHookSeesAndChangesGradient) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 3;
  Tensor seen;
  h.register_hook([&](Tensor g) { seen = g.clone(); });
  unsigned doubling = h.register_hook([](Tensor g) { return g * 2; });
  (h * h).sum().backward({}, true);
  EXPECT_TENSOR(seen, {2}, {6, 12});
  EXPECT_TENSOR(x.grad(), {2}, {36, 72});
  h.remove_hook(doubling);
  x.zero_grad();
  (h * h).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {18, 36});
}

// Note [Reusing gradient buffers]: an activation's backward writes its result over
// the gradient it receives only when nothing else holds that gradient.
TEST(Hooks, ActivationBackwardWritesOverOnlyAGradientNobodyElseHolds) {
  const Tensor w = tensor({1.0, 2.0, 3.0, 4.0});
  Tensor x = tensor({-1.0, 2.0, -3.0, 4.0}, requires_grad());
  (relu(x) * w).sum().backward();  // the product's gradient buffer is written over
  EXPECT_TENSOR(x.grad(), {4}, {0, 2, 0, 4});

  x.mutable_grad() = Tensor();
  const Tensor g = tensor({5.0, 6.0, 7.0, 8.0});
  relu(x).backward(g);
  EXPECT_TENSOR(g, {4}, {5, 6, 7, 8});
  EXPECT_TENSOR(x.grad(), {4}, {0, 6, 0, 8});

  x.mutable_grad() = Tensor();
  Tensor r = relu(x), kept;
  r.register_hook([&](Tensor seen) { kept = seen; });
  r.retain_grad();
  (r * w).sum().backward();
  EXPECT_TENSOR(kept, {4}, {1, 2, 3, 4});
  EXPECT_TENSOR(r.grad(), {4}, {1, 2, 3, 4});
  EXPECT_TENSOR(x.grad(), {4}, {0, 2, 0, 4});

  Tensor s = relu(x);
  const ag::variable_list both = ag::grad({(s * w).sum()}, {s, x});
  EXPECT_TENSOR(both[0], {4}, {1, 2, 3, 4});
  EXPECT_TENSOR(both[1], {4}, {0, 2, 0, 4});

  Tensor z = zeros({4}, requires_grad());
  Tensor sg = sigmoid(z), th = tanh(z);
  sg.retain_grad();
  th.retain_grad();
  (sg * w + th * w).sum().backward();
  EXPECT_TENSOR(sg.grad(), {4}, {1, 2, 3, 4});
  EXPECT_TENSOR(th.grad(), {4}, {1, 2, 3, 4});
  EXPECT_TENSOR(z.grad(), {4}, {1.25, 2.5, 3.75, 5});
}

TEST(Hooks, ScalingByANumberWritesOverOnlyAGradientNobodyElseHolds) {
  Tensor x = tensor({1.0, -2.0}, requires_grad());
  ((x * 3.0) / 4.0 * 8.0).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {6, 6});

  x.mutable_grad() = Tensor();
  const Tensor g = tensor({1.0, 2.0});
  (x * 3.0).backward(g);
  EXPECT_TENSOR(g, {2}, {1, 2});
  EXPECT_TENSOR(x.grad(), {2}, {3, 6});

  x.mutable_grad() = Tensor();
  Tensor h = x / 2.0, kept;
  h.register_hook([&](Tensor seen) { kept = seen; });
  Tensor q = h * 5.0;
  q.retain_grad();
  (q * 10.0).sum().backward();
  EXPECT_TENSOR(q.grad(), {2}, {10, 10});
  EXPECT_TENSOR(kept, {2}, {50, 50});
  EXPECT_TENSOR(x.grad(), {2}, {25, 25});
}

TEST(Hooks, HookNeedsRequiresGrad) {
  Tensor x = ones({2});
  EXPECT_THROW_MSG(x.register_hook([](Tensor g) { return g; }),
                   "cannot register a hook on a tensor that doesn't require gradient");
}

// ---- version counter and in-place ------------------------------------------------------------------
TEST(InPlace, ModifiedSavedTensorRaises) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 1;
  Tensor y = (h * h).sum();  // saves h
  h.add_(1);
  EXPECT_THROW_MSG(y.backward(),
                   "one of the variables needed for gradient computation has been modified by an inplace operation: "
                   "[CPUFloatType [2]], which is output 0 of AddBackward1, is at version 1; expected version 0 "
                   "instead. Hint: enable anomaly detection");
}

TEST(InPlace, ModifiedSavedOutputRaises) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = x.exp();  // saves its output
  Tensor s = y.sum();
  {
    NoGradGuard g;
    y.mul_(2);
  }
  EXPECT_THROW_MSG(s.backward(), "which is output 0 of ExpBackward0, is at version 1; expected version 0 instead");
}

TEST(InPlace, LeafRequiringGradRefuses) {
  Tensor x = ones({2}, requires_grad());
  EXPECT_THROW_MSG(x.add_(1), "a leaf Variable that requires grad is being used in an in-place operation.");
  EXPECT_THROW_MSG(x.index({0}).fill_(3),
                   "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  NoGradGuard g;
  x.add_(1);  // allowed without grad mode (optimizer updates)
  EXPECT_TENSOR(x, {2}, {2, 2});
}

TEST(InPlace, BumpsVersionAndRecordsHistory) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 2;
  EXPECT_EQ(h._version(), 0u);
  h.mul_(x);  // h <- 2x^2
  EXPECT_EQ(h._version(), 1u);
  EXPECT_EQ(h.grad_fn()->name(), "MulBackward0");
  h.sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {4, 8});  // d(2x^2)/dx = 4x
}

TEST(InPlace, SelfAsOperandIsAnInPlaceModification) {
  // As libtorch: mul_ saves `other`, which is self and is then modified.
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 2;
  h.mul_(h);
  EXPECT_THROW_MSG(h.sum().backward(), "modified by an inplace operation");
  // h's node saved h itself, a cycle (libtorch 1.13 leaks it too); detaching h breaks it.
  h.detach_();
}

TEST(InPlace, OperatorsAndScalars) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x + 0;
  h += 1;
  h *= 3;
  h -= x;
  h /= 2;  // ((x+1)*3 - x)/2 = x + 1.5
  EXPECT_TENSOR(h, {2}, {2.5, 3.5});
  h.sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {1, 1});
}

TEST(InPlace, WrongDtypeOrShapeRefused) {
  Tensor i = ones({2}, kLong);
  EXPECT_THROW_MSG(i.add_(ones({2})), "result type Float can't be cast to the desired output type Long");
  Tensor f = ones({2});
  EXPECT_THROW_MSG(f.add_(ones({2, 2})), "output with shape [2] doesn't match the broadcast shape [2, 2]");
}

TEST(InPlace, ViewOfARebasedTensorRaisesInsteadOfAWrongGradient) {
  // libtorch rebuilds v's history after h.mul_(3) and gives x.grad = [3, 0];
  // tensorgrad refuses rather than send v's gradient down h's old history ([1, 0]).
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 1;
  Tensor v = h.index({0});
  h.mul_(3);
  const char* msg = "a view is used in autograd after its base was modified by an in-place operation";
  EXPECT_THROW_MSG(v.backward(), msg);
  EXPECT_THROW_MSG((v * 2).backward(), msg);
  EXPECT_FALSE(x.grad().defined());
  // A view taken after the in-place op has the new history: libtorch's numbers.
  h.index({0}).backward();
  EXPECT_TENSOR(x.grad(), {2}, {3, 0});
}

TEST(InPlace, InPlaceWithoutGradKeepsEarlierViewsUsable) {
  // Under NoGradGuard the base keeps its history, so the view's is still right.
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor h = x * 1;
  Tensor v = h.index({1});
  {
    NoGradGuard no_grad;
    h.mul_(3);
  }
  (v * 2).backward();
  EXPECT_TENSOR(x.grad(), {2}, {0, 2});
}

// ---- custom functions ------------------------------------------------------------------------------
struct ScaleBy : ag::Function<ScaleBy> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x, double k) {
    ctx->saved_data["k"] = k;
    ctx->save_for_backward({x});
    return x * k;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list grads) {
    const double k = ctx->saved_data["k"].toDouble();
    EXPECT_EQ(ctx->get_saved_variables().size(), 1u);
    return {grads[0] * k, Tensor()};
  }
};

TEST(CustomFunction, ForwardAndBackward) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = ScaleBy::apply(x, 4.0);
  EXPECT_TENSOR(y, {2}, {4, 8});
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "ScaleByBackward");
  (y * y).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {32, 64});  // d(16x^2)/dx
}

TEST(CustomFunction, NoGraphWithoutRequiresGrad) {
  Tensor y = ScaleBy::apply(ones({2}), 2.0);
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_TENSOR(y, {2}, {2, 2});
}

struct WrongCount : ag::Function<WrongCount> {
  static Tensor forward(ag::AutogradContext*, Tensor x, Tensor y) { return x * y; }
  static ag::variable_list backward(ag::AutogradContext*, ag::variable_list grads) { return {grads[0], grads[0], grads[0]}; }
};

TEST(CustomFunction, WrongNumberOfGradientsRaises) {
  Tensor x = ones({1}, requires_grad()), y = ones({1}, requires_grad());
  EXPECT_THROW_MSG(WrongCount::apply(x, y).sum().backward(), "returned an incorrect number of gradients (expected 2, got 3)");
}

struct WrongShape : ag::Function<WrongShape> {
  static Tensor forward(ag::AutogradContext*, Tensor x, Tensor y) { return x.sum() * y.sum(); }
  static ag::variable_list backward(ag::AutogradContext*, ag::variable_list) {
    return {ones({2, 3}), ones({3})};
  }
};

TEST(CustomFunction, GradientOfTheWrongShapeRaisesNamingBothShapes) {
  Tensor x = ones({2, 3}, requires_grad()), y = ones({4, 5, 6, 7, 8}, requires_grad());
  EXPECT_THROW_MSG(WrongShape::apply(x, y).backward(),
                   "Function WrongShapeBackward returned an invalid gradient at index 1 - got [3] but expected shape "
                   "compatible with [4, 5, 6, 7, 8]");
}

struct AddOneInPlace : ag::Function<AddOneInPlace> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x) {
    x.add_(1);
    ctx->mark_dirty({x});
    return x;
  }
  static ag::variable_list backward(ag::AutogradContext*, ag::variable_list grads) { return {grads[0]}; }
};

struct TimesTwoAndArgmax : ag::Function<TimesTwoAndArgmax> {
  static ag::variable_list forward(ag::AutogradContext* ctx, Tensor x) {
    Tensor index = x.argmax();
    ctx->mark_non_differentiable({index});
    return {x * 2, index};
  }
  static ag::variable_list backward(ag::AutogradContext*, ag::variable_list grads) { return {grads[0] * 2}; }
};

TEST(CustomFunction, MarkDirtyTakesOverTheInputsHistory) {
  // The numbers PyTorch 1.13 gives for the same function.
  Tensor leaf = tensor({1.0, 2.0}, requires_grad());
  Tensor h = leaf * 1;
  const uint32_t before = h._version();
  Tensor out = AddOneInPlace::apply(h);
  EXPECT_TRUE(out.is_same(h));
  EXPECT_EQ(h._version() - before, 2u);
  EXPECT_EQ(h.grad_fn()->name(), "AddOneInPlaceBackward");
  EXPECT_TENSOR(h, {2}, {2, 3});
  (out * out).sum().backward();
  EXPECT_TENSOR(leaf.grad(), {2}, {4, 6});
}

TEST(CustomFunction, MarkDirtyOnALeafRequiringGradRaises) {
  Tensor leaf = tensor({1.0, 2.0}, requires_grad());
  EXPECT_THROW_MSG(AddOneInPlace::apply(leaf), "a leaf Variable that requires grad has been used in an in-place");
}

TEST(CustomFunction, MarkNonDifferentiableOutputsGetNoHistory) {
  Tensor leaf = tensor({1.0, 3.0, 2.0}, requires_grad());
  ag::variable_list out = TimesTwoAndArgmax::apply(leaf);
  EXPECT_FALSE(out[1].requires_grad());
  EXPECT_EQ(out[1].item<int64_t>(), 1);
  EXPECT_TRUE(out[0].requires_grad());
  out[0].sum().backward();
  EXPECT_TENSOR(leaf.grad(), {3}, {2, 2, 2});
}

// ---- deep and shared graphs --------------------------------------------------------------------------
// Runs fn on a thread with a 256 KiB stack: 100,000 nested calls of even 16 bytes
// each would overflow it, so a recursive backward or graph teardown crashes here.
template <class F>
void on_small_stack(F fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<F*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, &fn), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(Graph, HundredThousandOpChainBackwardAndDestroy) {
  Tensor x = tensor(1.0, dtype(kDouble).requires_grad(true));
  on_small_stack([&x] {
    {
      Tensor y = x;
      for (int i = 0; i < 100000; ++i) y = y * 1.0 + 0.0;  // 200,000 nodes deep
      y.backward();
    }  // the whole graph is destroyed here: must not recurse
    // A graph that was never run is torn down the same way.
    Tensor z = x;
    for (int i = 0; i < 100000; ++i) z = z + 1.0;
  });
  EXPECT_TENSOR(x.grad(), {}, {1.0});
}

TEST(Graph, HundredThousandOpChainOfSavingOps) {
  // Each node saves tensors (mul its operands, tanh its output): released as the
  // backward passes them, and freed without recursion. With w = 1, d/dx of
  // tanh(w * ... tanh(w * x)) is the product of the local derivatives 1 - tanh^2.
  Tensor x = tensor(0.5, dtype(kDouble).requires_grad(true));
  Tensor w = tensor(1.0, dtype(kDouble).requires_grad(true));
  double expected_dx = 1, expected_dw = 0, y_value = 0.5;
  for (int i = 0; i < 100000; ++i) {
    const double t = std::tanh(y_value), local = 1 - t * t;
    expected_dx *= local;
    expected_dw = local * (y_value + expected_dw);
    y_value = t;
  }
  on_small_stack([&] {
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = (w * y).tanh();
    EXPECT_NEAR(y.item<double>(), y_value, 1e-12);
    y.backward();
  });
  // 100,000 factors, each rounded: relative agreement to 1e-9.
  EXPECT_NEAR(x.grad().item<double>(), expected_dx, 1e-9 * std::abs(expected_dx));
  EXPECT_NEAR(w.grad().item<double>(), expected_dw, 1e-9 * std::abs(expected_dw));
}

// Note [Walk hints]: each node remembers the node made 16 nodes before it, and
// destruction prefetches it. Here most of those nodes are gone by then (a graph
// dropped before y's was made, and a temporary dropped at every step), so reading
// through a hint would be a use after free, which AddressSanitizer reports in CI.
TEST(Graph, DestroyingAGraphNeverReadsTheNodesItsHintsName) {
  Tensor x = tensor(1.0, dtype(kDouble).requires_grad(true));
  {
    Tensor dropped = x;
    for (int i = 0; i < 20; ++i) dropped = dropped * 2.0;
  }
  Tensor y = x;
  for (int i = 0; i < 40; ++i) {
    Tensor temporary = y * 3.0;
    y = y * 1.5;
  }
  y.backward();
  EXPECT_TENSOR(x.grad(), {}, {std::pow(1.5, 40)}, 1e-12);
  y = Tensor();  // destroys y's graph
}

// for n rungs: a = x*2; b = x*3; x = a + b. Without buffering gradients where paths
// meet, backward would take 2^n paths. Returns how many times the hooks on every
// rung's three nodes ran.
int ladder_node_visits(int rungs, Tensor* x0_grad) {
  Tensor x0 = tensor(1.0, dtype(kDouble).requires_grad(true));
  Tensor x = x0;
  int visits = 0;
  for (int i = 0; i < rungs; ++i) {
    Tensor a = x * 2, b = x * 3;
    x = a + b;
    for (Tensor* t : {&a, &b, &x}) t->register_hook([&visits](Tensor) { ++visits; });
  }
  x.backward();
  *x0_grad = x0.grad();
  return visits;
}

TEST(Graph, LadderRunsEachNodeOnceSoItsBackwardIsLinear) {
  Tensor g100, g200;
  EXPECT_EQ(ladder_node_visits(100, &g100), 300);
  EXPECT_EQ(ladder_node_visits(200, &g200), 600);
  EXPECT_TENSOR(g100, {}, {std::pow(5.0, 100)}, 1e-12);
  EXPECT_TENSOR(g200, {}, {std::pow(5.0, 200)}, 1e-12);
}

// Note [Engine slots]: a pass finds the nodes it has reached through an index they
// carry. The second pass here makes its tasks in another order than the first, so
// the indices the first pass left in y's 20 nodes (1 to 20) point at tasks that
// hold other nodes; each node must still get one task (y's last node is reached
// twice).
TEST(Graph, NodesVisitedByAnEarlierPassAreFoundOnceByTheNext) {
  Tensor x = tensor(1.0, dtype(kDouble).requires_grad(true));
  Tensor y = x;
  for (int i = 0; i < 20; ++i) y = y * 2;
  (y * 3).backward({}, /*retain_graph=*/true);
  EXPECT_TENSOR(x.grad(), {}, {3.0 * std::pow(2.0, 20)});
  Tensor z = y + 1;
  for (int i = 0; i < 30; ++i) z = z * 1.5;
  // Two paths into y's chain: z's and y itself.
  ag::variable_list g = ag::grad({z + y}, {x});
  EXPECT_TENSOR(g[0], {}, {(std::pow(1.5, 30) + 1) * std::pow(2.0, 20)}, 1e-12);
  EXPECT_TENSOR(x.grad(), {}, {3.0 * std::pow(2.0, 20)});
}

// A pass started while another runs (here from a hook of the outer one) walks nodes
// the outer pass has indexed; it keeps its own map and leaves their indices alone.
TEST(Graph, APassInsideAHookOfAnotherSharesItsNodes) {
  Tensor x = tensor(2.0, dtype(kDouble).requires_grad(true));
  Tensor y = x * x;
  Tensor inner_grad;
  Tensor u = y * 3;
  u.register_hook([&](Tensor g) {
    AutoGradMode enable_grad(true);  // hooks run in the pass's grad mode: off, as in libtorch
    inner_grad = ag::grad({(y * y).sum()}, {x}, {}, /*retain_graph=*/true)[0];
    return g;
  });
  (u + y).backward();
  EXPECT_TENSOR(inner_grad, {}, {4.0 * 8.0});  // d(x^4)/dx = 4x^3 at 2
  EXPECT_TENSOR(x.grad(), {}, {4.0 * 4.0});    // d(4x^2)/dx = 8x at 2
}

// Passes inside a hook index their nodes in a map of their own; one over a graph
// of thousands of nodes grows it, and the map is then dropped rather than cleared
// for the next pass. Every pass must still find its own nodes.
TEST(Graph, PassesInsideAHookAfterALargeOneFindTheirNodes) {
  Tensor x = tensor(3.0, dtype(kDouble).requires_grad(true));
  std::vector<double> inner;
  Tensor u = x * 2;
  u.register_hook([&](Tensor g) {
    AutoGradMode enable_grad(true);
    for (int64_t length : {5000, 3, 5000, 1}) {
      Tensor z = x;
      for (int64_t i = 0; i < length; ++i) z = z * (i % 2 == 0 ? 1.25 : 0.75);
      inner.push_back(ag::grad({z}, {x})[0].item<double>());
    }
    return g;
  });
  u.backward();
  // 2500 pairs 1.25 * 0.75 in the long chains; 1.25 * 0.75 * 1.25 and 1.25 in the
  // short ones.
  ASSERT_EQ(inner.size(), 4u);
  EXPECT_NEAR(inner[0] / std::pow(0.9375, 2500), 1.0, 1e-12);  // rounded 5000 times
  EXPECT_DOUBLE_EQ(inner[1], 1.171875);
  EXPECT_NEAR(inner[2] / std::pow(0.9375, 2500), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(inner[3], 1.25);
  EXPECT_TENSOR(x.grad(), {}, {2.0});
}

TEST(Leaves, GradientOfTransposedLeafHasLeafStrides) {
  // As libtorch's gradient layout contract: a dense leaf gets a gradient with its strides.
  Tensor w = arange(6, kFloat).reshape({2, 3}).t().detach().requires_grad_();
  (w * 2).sum().backward();
  EXPECT_EQ(w.grad().strides().vec(), w.strides().vec());
  EXPECT_TENSOR(w.grad(), {3, 2}, {2, 2, 2, 2, 2, 2});
}
