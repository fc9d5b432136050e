// Losses and activation wrappers of tg::nn::functional: hand-computed values for
// every reduction and option, libtorch's node names and error messages, finite-
// difference gradient checks in float64 and second derivatives.
#include <cmath>
#include <limits>

#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;
namespace ag = tg::autograd;

namespace {

Tensor leaf(const std::vector<double>& v, std::vector<int64_t> shape, ScalarType dtype = kDouble) {
  return tensor(v, dtype).reshape(shape).detach().requires_grad_();
}

// The logits used by the cross-entropy tests:
//   row 0 = [1, 2, 3]: lse = 3 + log(1 + e^-1 + e^-2) = 3.4076059644,
//                      logp = [-2.4076059644, -1.4076059644, -0.4076059644],
//                      softmax = [0.0900305732, 0.2447284711, 0.6652409558]
//   row 1 = [1, 1, 1]: lse = 1 + log 3, logp = -log 3 = -1.0986122887 each, softmax = 1/3
Tensor logits(ScalarType dtype = kDouble) { return leaf({1, 2, 3, 1, 1, 1}, {2, 3}, dtype); }
const Tensor kTargets = tensor({2, 0});

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }

}  // namespace

// ---- mse_loss --------------------------------------------------------------------------------
TEST(MseLoss, EveryReduction) {
  Tensor x = leaf({1, 2, 3}, {3}), t = tensor({0.0, 2.0, 5.0}, kDouble);
  // (x - t)^2 = [1, 0, 4]
  EXPECT_TENSOR(F::mse_loss(x, t, F::MSELossFuncOptions(kNone)), {3}, {1, 0, 4});
  EXPECT_TENSOR(F::mse_loss(x, t, F::MSELossFuncOptions(kSum)), {}, {5});
  Tensor mean = F::mse_loss(x, t);
  EXPECT_TENSOR(mean, {}, {5.0 / 3});
  EXPECT_EQ(grad_fn_name(mean), "MseLossBackward0");
  mean.backward();
  // 2 (x - t) / 3
  EXPECT_TENSOR(x.grad(), {3}, {2.0 / 3, 0, -4.0 / 3}, 1e-12);
}

TEST(MseLoss, TargetGradientIsNegated) {
  Tensor x = leaf({1, 2}, {2}), t = leaf({3, 0}, {2});
  F::mse_loss(x, t, F::MSELossFuncOptions(kSum)).backward();
  // 2 (x - t) = [-4, 4]
  EXPECT_TENSOR(x.grad(), {2}, {-4, 4});
  EXPECT_TENSOR(t.grad(), {2}, {4, -4});
}

TEST(MseLoss, BroadcastsLikeLibtorch) {
  Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3}), t = leaf({1, 1, 1}, {3});
  // x - t = [[0, 1, 2], [3, 4, 5]]: squares sum to 55 over 6 elements.
  ::testing::internal::CaptureStderr();
  Tensor mean = F::mse_loss(x, t);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "Warning: Using a target size ([3]) that is different to the input size ([2, 3]). This will likely lead to "
            "incorrect results due to broadcasting. Please ensure they have the same size. (function mse_loss)\n");
  EXPECT_TENSOR(mean, {}, {55.0 / 6}, 1e-12);
  ::testing::internal::CaptureStderr();
  F::mse_loss(x, t, F::MSELossFuncOptions(kSum)).backward();
  // t's gradient sums -2 (x - t) over the broadcast rows: -2 * [3, 5, 7]
  EXPECT_TENSOR(t.grad(), {3}, {-6, -10, -14});
  EXPECT_TENSOR(x.grad(), {2, 3}, {0, 2, 4, 6, 8, 10});
  ::testing::internal::GetCapturedStderr();
}

TEST(MseLoss, PromotesDtypesAndRejectsIntegers) {
  EXPECT_EQ(F::mse_loss(ones({2}), ones({2}, kDouble)).dtype(), kDouble);
  EXPECT_EQ(F::mse_loss(ones({2}), ones({2}, kLong)).dtype(), kFloat);
  EXPECT_THROW_MSG(F::mse_loss(ones({2}, kLong), ones({2}, kLong)), "\"mse_cpu\" not implemented for 'Long'");
  ::testing::internal::CaptureStderr();
  EXPECT_THROW_MSG(F::mse_loss(ones({2, 3}), ones({2})),
                   "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("Using a target size ([2])"), std::string::npos);
  // An empty mean is 0 / 0.
  EXPECT_TRUE(std::isnan(F::mse_loss(zeros({0}), zeros({0})).item<float>()));
}

TEST(MseLoss, DoubleBackward) {
  Tensor x = leaf({1, 3}, {2}), t = tensor({0.0, 0.0}, kDouble);
  // L = sum((x - t)^2) / 2, dL/dx = x - t = [1, 3]; d/dx sum((dL/dx)^2) = 2 (x - t) = [2, 6].
  Tensor g = ag::grad({F::mse_loss(x, t)}, {x}, {}, nullopt, true)[0];
  EXPECT_TENSOR(g, {2}, {1, 3});
  (g * g).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {2, 6});
  EXPECT_TRUE(ag::gradgradcheck([](const std::vector<Tensor>& v) { return F::mse_loss(v[0], v[1]); },
                                {leaf({0.3, -1.2, 2.0}, {3}), leaf({1.0, 0.5, -0.7}, {3})}));
}

TEST(MseLoss, Gradcheck) {
  ::testing::internal::CaptureStderr();  // the broadcasting warning, once per evaluation
  for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean), nn::loss_reduction_t(kSum)}) {
    auto r = ag::gradcheck(
        [red](const std::vector<Tensor>& v) { return F::mse_loss(v[0], v[1], F::MSELossFuncOptions().reduction(red)); },
        {leaf({0.3, -1.2, 2.0, 0.1, 0.2, 0.3}, {2, 3}), leaf({1.0, 0.5, -0.7}, {3})});
    EXPECT_TRUE(r) << r.message;
  }
  ::testing::internal::GetCapturedStderr();
}

// ---- binary_cross_entropy ------------------------------------------------------------------------
TEST(BinaryCrossEntropy, ValuesAndGradients) {
  Tensor x = leaf({0.5, 0.25}, {2}), t = tensor({1.0, 0.0}, kDouble);
  // -[log 0.5, log 0.75] = [0.6931471806, 0.2876820725]
  EXPECT_TENSOR(F::binary_cross_entropy(x, t, F::BinaryCrossEntropyFuncOptions().reduction(kNone)), {2},
                {0.6931471805599453, 0.2876820724517809}, 1e-12);
  EXPECT_TENSOR(F::binary_cross_entropy(x, t, F::BinaryCrossEntropyFuncOptions().reduction(kSum)), {},
                {0.9808292530117262}, 1e-12);
  Tensor mean = F::binary_cross_entropy(x, t);
  EXPECT_TENSOR(mean, {}, {0.4904146265058631}, 1e-12);
  EXPECT_EQ(grad_fn_name(mean), "BinaryCrossEntropyBackward0");
  mean.backward();
  // (x - t) / (x (1 - x)) / 2 = [-0.5 / 0.25, 0.25 / 0.1875] / 2
  EXPECT_TENSOR(x.grad(), {2}, {-1, 2.0 / 3}, 1e-12);
}

TEST(BinaryCrossEntropy, WeightsAndTargetGradient) {
  Tensor x = leaf({0.5, 0.25}, {2}), t = leaf({1.0, 0.0}, {2});
  Tensor w = tensor({2.0, 3.0}, kDouble);
  // 2 * 0.6931471806 + 3 * 0.2876820725 = 2.2493405785
  Tensor loss = F::binary_cross_entropy(x, t, F::BinaryCrossEntropyFuncOptions().weight(w).reduction(kSum));
  EXPECT_TENSOR(loss, {}, {2.249340578475233}, 1e-12);
  loss.backward();
  // dL/dt = -w * logit(x) = -w * log(x / (1 - x)) = [0, 3 * log 3]
  EXPECT_TENSOR(t.grad(), {2}, {0, 3 * 1.0986122886681098}, 1e-12);
  EXPECT_TENSOR(x.grad(), {2}, {-4, 4}, 1e-12);
}

TEST(BinaryCrossEntropy, LogIsClampedAtMinus100) {
  Tensor x = tensor({0.0, 1.0, 0.0, 1.0});
  Tensor t = tensor({1.0f, 0.0f, 0.0f, 1.0f});
  EXPECT_TENSOR(F::binary_cross_entropy(x, t, F::BinaryCrossEntropyFuncOptions().reduction(kNone)), {4},
                {100, 100, 0, 0});
}

TEST(BinaryCrossEntropy, Errors) {
  EXPECT_THROW_MSG(F::binary_cross_entropy(tensor({0.5, 1.5}), tensor({0.5, 0.5})),
                   "all elements of input should be between 0 and 1");
  EXPECT_THROW_MSG(F::binary_cross_entropy(tensor({0.5, NAN}), tensor({0.5, 0.5})),
                   "all elements of input should be between 0 and 1");
  EXPECT_THROW_MSG(
      F::binary_cross_entropy(rand({2, 3}), rand({3})),
      "Using a target size ([3]) that is different to the input size ([2, 3]) is deprecated. Please ensure "
      "they have the same size.");
  EXPECT_THROW_MSG(F::binary_cross_entropy(rand({2}), rand({2}, kDouble)), "Found dtype Double but expected Float");
  EXPECT_THROW_MSG(F::binary_cross_entropy(ones({2}, kLong), ones({2}, kLong)),
                   "\"binary_cross_entropy\" not implemented for 'Long'");
  EXPECT_THROW_MSG(
      F::binary_cross_entropy(rand({2, 3}), rand({2, 3}), F::BinaryCrossEntropyFuncOptions().weight(rand({2}))),
      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");
  EXPECT_THROW_MSG(
      F::binary_cross_entropy(rand({2, 3}), rand({2, 3}), F::BinaryCrossEntropyFuncOptions().weight(rand({4, 2, 3}))),
      "output with shape [2, 3] doesn't match the broadcast shape [4, 2, 3]");
  EXPECT_THROW_MSG(F::binary_cross_entropy(rand({3}), rand({3}),
                                           F::BinaryCrossEntropyFuncOptions().weight(ones({3}).requires_grad_())),
                   "The function 'binary_cross_entropy' is not differentiable with respect to argument 'weight'. This "
                   "input cannot have requires_grad True.");
}

TEST(BinaryCrossEntropy, Gradcheck) {
  for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean), nn::loss_reduction_t(kSum)}) {
    auto r = ag::gradcheck(
        [red](const std::vector<Tensor>& v) {
          return F::binary_cross_entropy(
              v[0], v[1], F::BinaryCrossEntropyFuncOptions().reduction(red).weight(tensor({0.5, 2.0, 1.5}, kDouble)));
        },
        {leaf({0.2, 0.7, 0.45, 0.9, 0.05, 0.6}, {2, 3}), leaf({0.0, 1.0, 0.3, 0.8, 0.1, 0.5}, {2, 3})});
    EXPECT_TRUE(r) << r.message;
  }
}

// ---- binary_cross_entropy_with_logits ------------------------------------------------------------
TEST(BinaryCrossEntropyWithLogits, ValuesAndGradients) {
  Tensor x = leaf({0, 2, -3}, {3}), t = tensor({1.0, 0.0, 1.0}, kDouble);
  // t softplus(-x) + (1 - t) softplus(x) = [log 2, log(1 + e^2), log(1 + e^3)]
  EXPECT_TENSOR(
      F::binary_cross_entropy_with_logits(x, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(kNone)), {3},
      {0.6931471805599453, 2.1269280110429727, 3.048587351573742}, 1e-12);
  Tensor mean = F::binary_cross_entropy_with_logits(x, t);
  EXPECT_EQ(grad_fn_name(mean), "BinaryCrossEntropyWithLogitsBackward0");
  mean.backward();
  // (sigmoid(x) - t) / 3 = [-0.5, 0.8807970780, -0.9525741268] / 3
  EXPECT_TENSOR(x.grad(), {3}, {-0.16666666666666666, 0.29359902599262744, -0.3175247089408111}, 1e-12);
}

TEST(BinaryCrossEntropyWithLogits, PosWeightScalesPositiveTerm) {
  Tensor x = leaf({0, 2, -3}, {3}), t = leaf({1.0, 0.0, 1.0}, {3});
  auto opts = F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(tensor({2.0}, kDouble)).reduction(kSum);
  // pw t softplus(-x) + (1 - t) softplus(x) = [2 log 2, log(1 + e^2), 2 log(1 + e^3)] summed
  Tensor loss = F::binary_cross_entropy_with_logits(x, t, opts);
  EXPECT_TENSOR(loss, {}, {1.3862943611198906 + 2.1269280110429727 + 6.097174703147484}, 1e-12);
  loss.backward();
  // dL/dx = (pw t + 1 - t) sigmoid(x) - pw t = [2 * 0.5 - 2, 0.8807970780, 2 * 0.0474258732 - 2]
  EXPECT_TENSOR(x.grad(), {3}, {-1, 0.8807970779778823, -1.9051482536448665}, 1e-12);
  // dL/dt = log_sigmoid(-x) - pw log_sigmoid(x) = -softplus(x) + pw softplus(-x)
  //       = [-log 2 + 2 log 2, -2.1269280110 + 2 * 0.1269280110, -0.0485873516 + 2 * 3.0485873516]
  EXPECT_TENSOR(t.grad(), {3}, {0.6931471805599453, -1.873071988957, 6.048587351573742}, 1e-12);
}

TEST(BinaryCrossEntropyWithLogits, ExtremeLogitsStayFinite) {
  Tensor x = leaf({1e4, -1e4, 1e4, -1e4}, {4}, kFloat);
  Tensor t = tensor({0.0f, 1.0f, 1.0f, 0.0f});
  Tensor loss =
      F::binary_cross_entropy_with_logits(x, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(kNone));
  EXPECT_TENSOR(loss, {4}, {1e4, 1e4, 0, 0});
  loss.sum().backward();
  EXPECT_TENSOR(x.grad(), {4}, {1, -1, 0, 0});
}

TEST(BinaryCrossEntropyWithLogits, DtypesAndErrors) {
  // libtorch's loss takes the target's dtype.
  EXPECT_EQ(F::binary_cross_entropy_with_logits(rand({2}), rand({2}, kDouble)).dtype(), kDouble);
  EXPECT_EQ(F::binary_cross_entropy_with_logits(rand({2}, kDouble), rand({2})).dtype(), kFloat);
  EXPECT_THROW_MSG(F::binary_cross_entropy_with_logits(rand({2, 3}), rand({3})),
                   "Target size ([3]) must be the same as input size ([2, 3])");
  EXPECT_THROW_MSG(F::binary_cross_entropy_with_logits(rand({2}), ones({2}, kLong)),
                   "result type Float can't be cast to the desired output type Long");
  EXPECT_THROW_MSG(F::binary_cross_entropy_with_logits(
                       rand({2, 3}), rand({2, 3}), F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(rand({2}))),
                   "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1");
  EXPECT_THROW_MSG(
      F::binary_cross_entropy_with_logits(rand({2, 3}), rand({2, 3}),
                                          F::BinaryCrossEntropyWithLogitsFuncOptions().weight(rand({4, 2, 3}))),
      "output with shape [2, 3] doesn't match the broadcast shape [4, 2, 3]");
  EXPECT_THROW_MSG(
      F::binary_cross_entropy_with_logits(
          rand({3}), rand({3}), F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(ones({3}).requires_grad_())),
      "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument 'pos_weight'.");
}

TEST(BinaryCrossEntropyWithLogits, Gradcheck) {
  for (bool pos : {false, true}) {
    for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean)}) {
      auto r = ag::gradcheck(
          [pos, red](const std::vector<Tensor>& v) {
            auto o =
                F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(red).weight(tensor({0.5, 2.0, 1.5}, kDouble));
            if (pos) o.pos_weight(tensor({3.0, 0.5, 1.0}, kDouble));
            return F::binary_cross_entropy_with_logits(v[0], v[1], o);
          },
          {leaf({0.2, -1.7, 3.0, 0.9, -0.05, 0.6}, {2, 3}), leaf({0.0, 1.0, 0.3, 0.8, 0.1, 0.5}, {2, 3})});
      EXPECT_TRUE(r) << r.message;
    }
  }
}

// ---- nll_loss ------------------------------------------------------------------------------------
TEST(NllLoss, ReductionsWeightsAndIgnoreIndex) {
  Tensor x = leaf({-1, -2, -3, -0.5, -1.5, -2.5}, {2, 3});
  EXPECT_TENSOR(F::nll_loss(x, kTargets, F::NLLLossFuncOptions().reduction(kNone)), {2}, {3, 0.5});
  EXPECT_TENSOR(F::nll_loss(x, kTargets, F::NLLLossFuncOptions().reduction(kSum)), {}, {3.5});
  EXPECT_TENSOR(F::nll_loss(x, kTargets), {}, {1.75});
  Tensor w = tensor({1.0, 2.0, 3.0}, kDouble);
  // weighted: [3 * 3, 1 * 0.5]; mean divides by w[2] + w[0] = 4
  EXPECT_TENSOR(F::nll_loss(x, kTargets, F::NLLLossFuncOptions().weight(w).reduction(kNone)), {2}, {9, 0.5});
  Tensor mean = F::nll_loss(x, kTargets, F::NLLLossFuncOptions().weight(w));
  EXPECT_TENSOR(mean, {}, {9.5 / 4});
  EXPECT_EQ(grad_fn_name(mean), "NllLossBackward0");
  mean.backward();
  EXPECT_TENSOR(x.grad(), {2, 3}, {0, 0, -0.75, -0.25, 0, 0});
  // ignoring class 0 drops row 1 from the loss and from the divisor
  EXPECT_TENSOR(F::nll_loss(x, kTargets, F::NLLLossFuncOptions().weight(w).ignore_index(0)), {}, {3});
  EXPECT_TENSOR(F::nll_loss(x, kTargets, F::NLLLossFuncOptions().ignore_index(0).reduction(kNone)), {2}, {3, 0});
}

TEST(NllLoss, EverythingIgnoredGivesNanMeanAndZeroGradient) {
  Tensor x = leaf({-1, -2, -3, -0.5, -1.5, -2.5}, {2, 3});
  Tensor mean = F::nll_loss(x, tensor({-100, -100}));
  EXPECT_TRUE(std::isnan(mean.item<double>()));
  mean.backward();
  EXPECT_TENSOR(x.grad(), {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_TENSOR(F::nll_loss(x, tensor({-100, -100}), F::NLLLossFuncOptions().reduction(kSum)), {}, {0});
}

TEST(NllLoss, KDimensional) {
  // input [N=1, C=2, d=2]: position 0 has scores [-1, -2], position 1 has [-3, -4].
  Tensor x = leaf({-1, -3, -2, -4}, {1, 2, 2});
  Tensor t = tensor({1, 0}).reshape({1, 2});
  Tensor none = F::nll_loss(x, t, F::NLLLossFuncOptions().reduction(kNone));
  EXPECT_TENSOR(none, {1, 2}, {2, 3});
  EXPECT_EQ(grad_fn_name(none), "ViewBackward0");
  Tensor mean = F::nll_loss(x, t);
  EXPECT_TENSOR(mean, {}, {2.5});
  EXPECT_EQ(grad_fn_name(mean), "NllLoss2DBackward0");
  mean.backward();
  EXPECT_TENSOR(x.grad(), {1, 2, 2}, {0, -0.5, -0.5, 0});
}

TEST(NllLoss, Errors) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW_MSG(F::nll_loss(zeros({4}), tensor(1)), "Expected 2 or more dimensions (got 1)");
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0, 1})), "Expected input batch_size (3) to match target batch_size (2).");
  EXPECT_THROW(F::nll_loss(x, tensor({0, 5, 1})), IndexError);
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0, 5, 1})), "Target 5 is out of bounds.");
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0.0, 1.0, 2.0})), "expected scalar type Long but found Float");
  EXPECT_THROW_MSG(F::nll_loss(x, zeros({3, 4})), "0D or 1D target tensor expected, multi-target not supported");
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0, 1, 2}), F::NLLLossFuncOptions().weight(ones({3}))),
                   "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of "
                   "shape: [3]");
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0, 1, 2}), F::NLLLossFuncOptions().weight(ones({4}, kDouble))),
                   "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(F::nll_loss(ones({3, 4}, kLong), tensor({0, 1, 2})),
                   "\"nll_loss_out_frame\" not implemented for 'Long'");
  EXPECT_THROW_MSG(F::nll_loss(zeros({2, 4, 3}), zeros({2, 5}, kLong)), "Expected target size [2, 3], got [2, 5]");
  EXPECT_THROW_MSG(F::nll_loss(zeros({2, 4, 3, 2}), zeros({2, 6}, kLong)),
                   "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2");
  EXPECT_THROW_MSG(F::nll_loss(zeros({2, 4, 3, 2}), zeros({2, 5, 2}, kLong)),
                   "size mismatch (got input: [2, 4, 3, 2] , target: [2, 5, 2]");
  EXPECT_THROW_MSG(F::nll_loss(zeros({2, 4, 3}), zeros({2, 3}, kLong), F::NLLLossFuncOptions().weight(ones({3}))),
                   "weight tensor should be defined either for all or no classes");
  EXPECT_THROW_MSG(F::nll_loss(x, tensor({0, 1, 2}), F::NLLLossFuncOptions().weight(ones({4}).requires_grad_())),
                   "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'.");
}

TEST(NllLoss, GradcheckAndDoubleBackward) {
  const Tensor t3 = tensor({1, 0, 2, 1, -100, 0}).reshape({2, 3});
  const Tensor w = tensor({0.5, 2.0, 1.5}, kDouble);
  for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean), nn::loss_reduction_t(kSum)}) {
    auto fn = [&](const Tensor& x) { return F::nll_loss(x, t3, F::NLLLossFuncOptions().weight(w).reduction(red)); };
    Tensor x = randn({2, 3, 3}, kDouble).requires_grad_();
    auto r = ag::gradcheck(fn, x);
    EXPECT_TRUE(r) << r.message;
    auto rr = ag::gradgradcheck(fn, x);
    EXPECT_TRUE(rr) << rr.message;
  }
}

// ---- cross_entropy with class indices -------------------------------------------------------
TEST(CrossEntropy, ValuesForEveryReduction) {
  Tensor x = logits();
  // per row: lse - x_t = [3.4076059644 - 3, (1 + log 3) - 1]
  EXPECT_TENSOR(F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions().reduction(kNone)), {2},
                {0.4076059644443806, 1.09861228866811}, 1e-12);
  EXPECT_TENSOR(F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions().reduction(kSum)), {}, {1.5062182531124906},
                1e-12);
  Tensor mean = F::cross_entropy(x, kTargets);
  EXPECT_TENSOR(mean, {}, {0.7531091265562453}, 1e-12);
  EXPECT_EQ(grad_fn_name(mean), "NllLossBackward0");
  mean.backward();
  // (softmax - onehot) / 2
  EXPECT_TENSOR(x.grad(), {2, 3},
                {0.04501528658519022, 0.12236423552739879, -0.16737952211258916, -1.0 / 3, 1.0 / 6, 1.0 / 6}, 1e-12);
}

TEST(CrossEntropy, WeightedMeanDividesBySummedTargetWeights) {
  Tensor x = logits();
  Tensor w = tensor({1.0, 2.0, 3.0}, kDouble);
  // (3 * 0.4076059644 + 1 * 1.0986122887) / (3 + 1)
  Tensor mean = F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions().weight(w));
  EXPECT_TENSOR(mean, {}, {0.5803575455003129}, 1e-12);
  mean.backward();
  // row 0: 3 (softmax - onehot(2)) / 4; row 1: 1 (1/3 - onehot(0)) / 4
  EXPECT_TENSOR(x.grad(), {2, 3},
                {0.75 * 0.09003057317038043, 0.75 * 0.24472847105479759, 0.75 * (0.6652409557748217 - 1), -1.0 / 6,
                 1.0 / 12, 1.0 / 12},
                1e-12);
}

TEST(CrossEntropy, IgnoreIndexDropsRows) {
  Tensor x = logits();
  Tensor mean = F::cross_entropy(x, tensor({2, -100}));
  EXPECT_TENSOR(mean, {}, {0.4076059644443806}, 1e-12);
  mean.backward();
  EXPECT_TENSOR(x.grad(), {2, 3}, {0.09003057317038043, 0.24472847105479759, -0.3347590442251783, 0, 0, 0}, 1e-12);
  EXPECT_TENSOR(F::cross_entropy(x, tensor({2, 0}), F::CrossEntropyFuncOptions().ignore_index(2).reduction(kNone)), {2},
                {0, 1.09861228866811}, 1e-12);
}

TEST(CrossEntropy, LabelSmoothing) {
  Tensor x = logits();
  auto opts = F::CrossEntropyFuncOptions().label_smoothing(0.1);
  // loss = 0.9 (lse - x_t) + (0.1 / 3) sum_c (lse - x_c):
  //   row 0: 0.9 (lse - 3) + 0.1 (lse - 2) = lse - 2.9 = 0.5076059644
  //   row 1: every class has lse - x_c = log 3, so the loss stays log 3
  EXPECT_TENSOR(F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions(opts).reduction(kNone)), {2},
                {0.5076059644443807, 1.09861228866811}, 1e-12);
  Tensor mean = F::cross_entropy(x, kTargets, opts);
  EXPECT_TENSOR(mean, {}, {0.8031091265562453}, 1e-12);
  EXPECT_EQ(grad_fn_name(mean), "AddBackward0");
  mean.backward();
  // (softmax - (0.9 onehot + 0.1 / 3)) / 2
  const double s = 0.1 / 3;
  EXPECT_TENSOR(x.grad(), {2, 3},
                {(0.09003057317038043 - s) / 2, (0.24472847105479759 - s) / 2, (0.6652409557748217 - 0.9 - s) / 2,
                 (1.0 / 3 - 0.9 - s) / 2, (1.0 / 3 - s) / 2, (1.0 / 3 - s) / 2},
                1e-12);
  // With weights, the smoothing term is weighted per class and the mean still
  // divides by the summed target weights (libtorch's rule): 0.6309660369.
  EXPECT_TENSOR(
      F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions(opts).weight(tensor({1.0, 2.0, 3.0}, kDouble))), {},
      {0.6309660369392395}, 1e-12);
  // A negative smoothing is no smoothing.
  EXPECT_TENSOR(F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions().label_smoothing(-0.5)), {},
                {0.7531091265562453}, 1e-12);
}

TEST(CrossEntropy, UnbatchedInput) {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor loss = F::cross_entropy(x, tensor(2), F::CrossEntropyFuncOptions().reduction(kNone));
  EXPECT_TENSOR(loss, {}, {0.4076059644443806}, 1e-12);
  EXPECT_EQ(grad_fn_name(loss), "NllLossBackward0");
}

TEST(CrossEntropy, KDimensional) {
  // input [N=1, C=2, d=2]: position 0 has logits [0, 0], position 1 has [0, log 3]
  // (softmax [0.25, 0.75]); targets [0, 1] give [log 2, -log 0.75].
  Tensor x = leaf({0, 0, 0, std::log(3.0)}, {1, 2, 2});
  Tensor t = tensor({0, 1}).reshape({1, 2});
  Tensor none = F::cross_entropy(x, t, F::CrossEntropyFuncOptions().reduction(kNone));
  EXPECT_TENSOR(none, {1, 2}, {0.6931471805599453, 0.2876820724517809}, 1e-12);
  EXPECT_EQ(grad_fn_name(none), "ViewBackward0");
  Tensor mean = F::cross_entropy(x, t);
  EXPECT_TENSOR(mean, {}, {0.4904146265058631}, 1e-12);
  EXPECT_EQ(grad_fn_name(mean), "NllLoss2DBackward0");
  mean.backward();
  // (softmax - onehot) / 2 at each position, laid out [c][d]
  EXPECT_TENSOR(x.grad(), {1, 2, 2}, {-0.25, 0.125, 0.25, -0.125}, 1e-12);
  // 4-dim input: nll_loss2d's own node even unreduced.
  Tensor x4 = leaf({0, 0, 0, std::log(3.0)}, {1, 2, 1, 2});
  Tensor none4 = F::cross_entropy(x4, t.reshape({1, 1, 2}), F::CrossEntropyFuncOptions().reduction(kNone));
  EXPECT_TENSOR(none4, {1, 1, 2}, {0.6931471805599453, 0.2876820724517809}, 1e-12);
  EXPECT_EQ(grad_fn_name(none4), "NllLoss2DBackward0");
}

TEST(CrossEntropy, ExtremeLogitsGiveFiniteLossAndGradient) {
  for (ScalarType dtype : {kFloat, kDouble}) {
    Tensor x = leaf({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}, dtype);
    // row 0: lse = 1e4, loss = 1e4 + 1e4; row 1: lse = 1e4 + log 2, loss = 2e4 + log 2
    Tensor mean = F::cross_entropy(x, tensor({1, 0}));
    EXPECT_TENSOR(mean, {}, {20000.346573590281}, dtype == kFloat ? 2e-3 : 1e-9);
    mean.backward();
    EXPECT_TENSOR(x.grad(), {2, 3}, {0.5, -0.5, 0, -0.5, 0.25, 0.25}, 1e-7);
    // A confidently right prediction costs nothing and pulls nothing.
    Tensor y = leaf({1e4, -1e4}, {1, 2}, dtype);
    Tensor right = F::cross_entropy(y, tensor({0}));
    EXPECT_TENSOR(right, {}, {0});
    right.backward();
    EXPECT_TENSOR(y.grad(), {1, 2}, {0, 0});
  }
}

TEST(CrossEntropy, FusedBackwardMatchesDifferentiableFormula) {
  Tensor x = randn({4, 5, 3}, kDouble).requires_grad_();
  Tensor t = tensor({0, 4, 2, -100, 1, 1, 3, 3, 0, 2, 4, -100}).reshape({4, 3});
  auto opts = F::CrossEntropyFuncOptions().weight(tensor({0.5, 1.0, 2.0, 1.5, 0.2}, kDouble)).label_smoothing(0.2);
  Tensor fused = ag::grad({F::cross_entropy(x, t, opts)}, {x})[0];
  Tensor graph = ag::grad({F::cross_entropy(x, t, opts)}, {x}, {}, nullopt, true)[0];
  EXPECT_TRUE(allclose(fused, graph.detach(), 1e-12, 1e-14));
}

TEST(CrossEntropy, LargeInputsGiveTheSameResultOnAnyThreadCount) {
  // Big enough for the row loop to split over threads (rows x classes > 32k).
  manual_seed(7);
  Tensor x = (randn({64, 300, 8}) * 5).requires_grad_();
  Tensor t = randint(300, {64, 8});
  auto opts = F::CrossEntropyFuncOptions().label_smoothing(0.1).ignore_index(3);
  const int threads = get_num_threads();
  std::vector<Tensor> losses, grads;
  for (int n : {1, 2}) {
    set_num_threads(n);
    Tensor loss = F::cross_entropy(x, t, opts);
    losses.push_back(loss.detach());
    grads.push_back(ag::grad({loss}, {x})[0]);
  }
  set_num_threads(threads);
  EXPECT_TRUE(equal(losses[0], losses[1]));
  EXPECT_TRUE(equal(grads[0], grads[1]));
  // Each position's gradient sums to zero over the classes: softmax and the
  // smoothed target both sum to one (times the position's scale).
  EXPECT_LT(grads[0].sum({1}).abs().max().item<float>(), 1e-7f);
}

// The loss and gradient of cross_entropy built from log_softmax in float64
// (other kernels than the fused ones): reduction none, x is [rows, classes].
Tensor reference_cross_entropy(const Tensor& x, const Tensor& t, const Tensor& w, double eps, int64_t ignore) {
  const Tensor logp = log_softmax(x.to(kDouble), 1);
  const Tensor ignored = t.eq(ignore);
  const Tensor safe_t = where(ignored, 0, t);
  const Tensor one_hot = arange(x.size(1)).unsqueeze(0).eq(safe_t.unsqueeze(1)).to(kDouble);
  const Tensor nll = -(logp * one_hot).sum(1) * w.index_select(0, safe_t);
  const Tensor smooth = -(logp * w).sum(1);
  return where(ignored, 0.0, nll * (1 - eps) + smooth * (eps / static_cast<double>(x.size(1))));
}

TEST(CrossEntropy, FewClassesMatchAFloat64ReferenceInEveryBlockLayout) {
  // Rows with at most 64 classes are processed 16 at a time (Note [Rows side by
  // side] in kernels/loss.cpp): row counts around the block size, class counts
  // on both sides of the limit, a K-dimensional input, ignored rows, class
  // weights and label smoothing.
  manual_seed(3);
  for (ScalarType dtype : {kFloat, kDouble}) {
    const double tol = dtype == kFloat ? 2e-6 : 1e-13;
    for (int64_t classes : {1, 2, 10, 64, 65}) {
      for (int64_t rows : {1, 15, 16, 17, 40}) {
        for (int64_t inner : {1, 3}) {
          Tensor x = (randn({rows, classes, inner}, kDouble) * 4).to(dtype).requires_grad_();
          Tensor t = randint(classes, {rows, inner});
          t.index_put_({0, 0}, -100);
          Tensor w = rand({classes}, kDouble) + 0.5;
          auto opts = F::CrossEntropyFuncOptions().weight(w.to(dtype)).label_smoothing(0.2).reduction(kNone);
          Tensor loss = F::cross_entropy(x, t, opts);
          Tensor grad = ag::grad({loss.sum()}, {x})[0];
          // The same rows as [rows * inner, classes].
          Tensor x2 = x.detach().to(kDouble).transpose(1, 2).reshape({rows * inner, classes}).requires_grad_();
          Tensor expected = reference_cross_entropy(x2, t.reshape({-1}), w, 0.2, -100);
          Tensor expected_grad = ag::grad({expected.sum()}, {x2})[0];
          SCOPED_TRACE(::testing::Message() << dtype << " classes " << classes << " rows " << rows << " inner "
                                            << inner);
          EXPECT_TRUE(allclose(loss.to(kDouble).reshape({-1}), expected, tol, tol));
          const Tensor grad_rows = grad.to(kDouble).transpose(1, 2).reshape({rows * inner, classes});
          EXPECT_TRUE(allclose(grad_rows, expected_grad, tol, tol));
          EXPECT_EQ(loss.index({0, 0}).item<double>(), 0.0);
        }
      }
    }
  }
}

TEST(CrossEntropy, FewClassesGiveTheSameBitsOnAnyThreadCount) {
  // 5000 rows of 10 classes: enough for the blocks of rows to split over threads.
  manual_seed(8);
  Tensor x = (randn({5000, 10}) * 3).requires_grad_();
  Tensor t = randint(10, {5000});
  t.index_put_({17}, -100);
  const int threads = get_num_threads();
  std::vector<Tensor> losses, grads;
  for (int n : {1, 2}) {
    set_num_threads(n);
    Tensor loss = F::cross_entropy(x, t, F::CrossEntropyFuncOptions().reduction(kNone));
    losses.push_back(loss.detach());
    grads.push_back(ag::grad({loss.sum()}, {x})[0]);
  }
  set_num_threads(threads);
  EXPECT_TRUE(equal(losses[0], losses[1]));
  EXPECT_TRUE(equal(grads[0], grads[1]));
  EXPECT_TRUE(allclose(losses[0].to(kDouble), reference_cross_entropy(x.detach(), t, ones({10}, kDouble), 0, -100),
                       2e-6, 2e-6));
}

TEST(CrossEntropy, SecondDerivativeIsSoftmaxJacobian) {
  Tensor x = leaf({0, 0}, {1, 2});
  // d/dx of (softmax(x) - onehot(0)) at p = [0.5, 0.5] is diag(p) - p p^T = [[0.25, -0.25], [-0.25, 0.25]]
  Tensor g = ag::grad({F::cross_entropy(x, tensor({0}))}, {x}, {}, nullopt, true)[0];
  EXPECT_TENSOR(g, {1, 2}, {-0.5, 0.5});
  g.index({0, 0}).backward();
  EXPECT_TENSOR(x.grad(), {1, 2}, {0.25, -0.25});
}

TEST(CrossEntropy, GradcheckAndGradgradcheck) {
  const Tensor t = tensor({1, 0, 2, 1, -100, 0}).reshape({2, 3});
  const Tensor w = tensor({0.5, 2.0, 1.5}, kDouble);
  for (double eps : {0.0, 0.3}) {
    for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean), nn::loss_reduction_t(kSum)}) {
      auto fn = [&](const Tensor& x) {
        return F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(w).reduction(red).label_smoothing(eps));
      };
      Tensor x = randn({2, 3, 3}, kDouble).requires_grad_();
      auto r = ag::gradcheck(fn, x);
      EXPECT_TRUE(r) << r.message;
      auto rr = ag::gradgradcheck(fn, x);
      EXPECT_TRUE(rr) << rr.message;
    }
  }
}

TEST(CrossEntropy, Errors) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW(F::cross_entropy(x, tensor({0, 5, 1})), IndexError);
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, 5, 1})), "Target 5 is out of bounds.");
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, -1, 1})), "Target -1 is out of bounds.");
  EXPECT_THROW(F::cross_entropy(x, tensor({0, 1})), ValueError);
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, 1})),
                   "Expected input batch_size (3) to match target batch_size (2).");
  EXPECT_THROW_MSG(F::cross_entropy(x, zeros({3, 5})), "0D or 1D target tensor expected, multi-target not supported");
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0.0, 1.0, 2.0})), "expected scalar type Long but found Float");
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, 1, 3}), F::CrossEntropyFuncOptions().label_smoothing(1.5)),
                   "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, 1, 3}), F::CrossEntropyFuncOptions().weight(ones({3}))),
                   "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of "
                   "shape: [3]");
  EXPECT_THROW_MSG(F::cross_entropy(x, tensor({0, 1, 3}), F::CrossEntropyFuncOptions().weight(ones({4}, kDouble))),
                   "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(F::cross_entropy(ones({3, 4}, kLong), tensor({0, 1, 3})),
                   "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'");
  EXPECT_THROW_MSG(F::cross_entropy(zeros({4}), tensor({1, 2})), "size mismatch (got input: [4], target: [2])");
  EXPECT_THROW_MSG(F::cross_entropy(zeros({2, 4, 3}), zeros({2, 5}, kLong)), "Expected target size [2, 3], got [2, 5]");
  EXPECT_THROW_MSG(F::cross_entropy(zeros({2, 4, 3, 2}), zeros({2, 3, 2}, kLong) + 4), "Target 4 is out of bounds.");
  EXPECT_THROW_MSG(
      F::cross_entropy(x, tensor({0, 1, 3}), F::CrossEntropyFuncOptions().weight(ones({4}).requires_grad_())),
      "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. This input "
      "cannot have requires_grad True.");
  {
    NoGradGuard no_grad;
    EXPECT_NO_THROW(
        F::cross_entropy(x, tensor({0, 1, 3}), F::CrossEntropyFuncOptions().weight(ones({4}).requires_grad_())));
  }
}

TEST(CrossEntropy, EmptyBatch) {
  Tensor x = zeros({0, 4});
  EXPECT_TRUE(std::isnan(F::cross_entropy(x, zeros({0}, kLong)).item<float>()));
  EXPECT_TENSOR(F::cross_entropy(x, zeros({0}, kLong), F::CrossEntropyFuncOptions().reduction(kSum)), {}, {0});
  EXPECT_TENSOR(F::cross_entropy(x, zeros({0}, kLong), F::CrossEntropyFuncOptions().reduction(kNone)), {0}, {});
}

// ---- cross_entropy with class probabilities -------------------------------------------------------
TEST(CrossEntropyProbabilities, ValuesNodesAndTargetGradient) {
  Tensor x = logits();
  Tensor p = leaf({0.5, 0, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3}, {2, 3});
  // row 0: -(0.5 logp_0 + 0.5 logp_2) = 0.5 (2.4076059644 + 0.4076059644) = 1.4076059644; row 1: log 3
  Tensor none = F::cross_entropy(x, p, F::CrossEntropyFuncOptions().reduction(kNone));
  EXPECT_TENSOR(none, {2}, {1.4076059644443806, 1.09861228866811}, 1e-12);
  EXPECT_EQ(grad_fn_name(none), "NegBackward0");
  Tensor mean = F::cross_entropy(x, p);
  EXPECT_TENSOR(mean, {}, {(1.4076059644443806 + 1.09861228866811) / 2}, 1e-12);
  EXPECT_EQ(grad_fn_name(mean), "DivBackward1");
  mean.backward();
  // d/dx = (softmax * sum(p) - p) / 2, d/dp = -logp / 2
  EXPECT_TENSOR(x.grad(), {2, 3},
                {(0.09003057317038043 - 0.5) / 2, 0.24472847105479759 / 2, (0.6652409557748217 - 0.5) / 2, 0, 0, 0},
                1e-12);
  EXPECT_TENSOR(p.grad(), {2, 3},
                {2.4076059644443806 / 2, 1.4076059644443806 / 2, 0.4076059644443806 / 2, 1.09861228866811 / 2,
                 1.09861228866811 / 2, 1.09861228866811 / 2},
                1e-12);
}

TEST(CrossEntropyProbabilities, WeightsSmoothingAndErrors) {
  Tensor x = logits();
  Tensor p = tensor({0.0, 0.0, 1.0, 1.0, 0.0, 0.0}, kDouble).reshape({2, 3});
  auto opts = F::CrossEntropyFuncOptions().weight(tensor({1.0, 2.0, 3.0}, kDouble)).label_smoothing(0.1);
  // One-hot probabilities sum to what class indices give (smoothing and weights included):
  //   row 0: 0.9 * 3 * 0.4076059644 + (0.1 / 3) (1 * 2.4076059644 + 2 * 1.4076059644 + 3 * 0.4076059644)
  //   row 1: 0.9 * 1 * log 3 + (0.1 / 3) * 6 log 3;  together 2.5238641478
  EXPECT_TENSOR(F::cross_entropy(x, p, F::CrossEntropyFuncOptions(opts).reduction(kSum)), {}, {2.523864147756958},
                1e-12);
  EXPECT_TENSOR(F::cross_entropy(x, kTargets, F::CrossEntropyFuncOptions(opts).reduction(kSum)), {},
                {2.523864147756958}, 1e-12);
  // ... but their mean divides by the number of rows, not by the target weights.
  EXPECT_TENSOR(F::cross_entropy(x, p, opts), {}, {2.523864147756958 / 2}, 1e-12);

  EXPECT_THROW_MSG(F::cross_entropy(x, zeros({2, 3}, kLong)),
                   "Expected floating point type for target with class probabilities, got Long");
  EXPECT_THROW_MSG(F::cross_entropy(x, p, F::CrossEntropyFuncOptions().ignore_index(1)),
                   "ignore_index is not supported for floating point target");
  EXPECT_THROW_MSG(F::cross_entropy(x, p, F::CrossEntropyFuncOptions().label_smoothing(1.5)),
                   "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
  EXPECT_THROW_MSG(F::cross_entropy(x, p, F::CrossEntropyFuncOptions().weight(ones({2}, kDouble))),
                   "cross_entropy: weight tensor should be defined either for all 3 classes or no classes but got "
                   "weight tensor of shape: [2]");
}

TEST(CrossEntropyProbabilities, Gradcheck) {
  for (auto red : {nn::loss_reduction_t(kNone), nn::loss_reduction_t(kMean)}) {
    auto r = ag::gradcheck(
        [red](const std::vector<Tensor>& v) {
          return F::cross_entropy(v[0], v[1],
                                  F::CrossEntropyFuncOptions().reduction(red).label_smoothing(0.2).weight(
                                      tensor({0.5, 2.0, 1.5}, kDouble)));
        },
        {randn({2, 3, 2}, kDouble).requires_grad_(), rand({2, 3, 2}, kDouble).requires_grad_()});
    EXPECT_TRUE(r) << r.message;
  }
}

// ---- activation wrappers ---------------------------------------------------------------------------
TEST(FunctionalActivations, ReluInPlaceTakesOverHistory) {
  Tensor a = leaf({-1, 2, -3}, {3});
  Tensor b = a * 2;
  Tensor r = F::relu(b, F::ReLUFuncOptions(true));
  EXPECT_TRUE(r.is_same(b));
  EXPECT_TENSOR(b, {3}, {0, 4, 0});
  EXPECT_EQ(grad_fn_name(b), "ReluBackward0");
  b.sum().backward();
  EXPECT_TENSOR(a.grad(), {3}, {0, 2, 0});
  EXPECT_THROW_MSG(F::relu(a, F::ReLUFuncOptions(true)),
                   "a leaf Variable that requires grad is being used in an in-place operation.");
  Tensor c = tensor({-1.0, 2.0});
  F::relu(c, F::ReLUFuncOptions(true));
  EXPECT_TENSOR(c, {2}, {0, 2});
  EXPECT_EQ(grad_fn_name(F::relu(a)), "ReluBackward0");
}

TEST(FunctionalActivations, LeakyRelu) {
  Tensor a = leaf({-1, 2}, {2});
  Tensor out = F::leaky_relu(a, F::LeakyReLUFuncOptions().negative_slope(0.1));
  EXPECT_TENSOR(out, {2}, {-0.1, 2}, 1e-12);
  EXPECT_EQ(grad_fn_name(out), "LeakyReluBackward0");

  Tensor b = a * 1;
  F::leaky_relu(b, F::LeakyReLUFuncOptions().negative_slope(0.1).inplace(true));
  EXPECT_TENSOR(b, {2}, {-0.1, 2}, 1e-12);
  EXPECT_EQ(grad_fn_name(b), "LeakyReluBackward1");
  b.sum().backward();
  EXPECT_TENSOR(a.grad(), {2}, {0.1, 1}, 1e-12);

  // In place with a negative slope the sign of the input is lost: libtorch refuses the backward.
  Tensor c = a * 1;
  F::leaky_relu(c, F::LeakyReLUFuncOptions().negative_slope(-0.5).inplace(true));
  EXPECT_TENSOR(c, {2}, {0.5, 2});
  EXPECT_THROW_MSG(c.sum().backward(), "In-place leakyReLu backward calculation is triggered with a negative slope");
  EXPECT_THROW_MSG(F::leaky_relu(ones({2}, kLong)), "\"leaky_relu_cpu\" not implemented for 'Long'");
}

TEST(FunctionalActivations, GeluSoftmaxLogSoftmax) {
  Tensor x = tensor({-1.0, 0.0, 1.0}, kDouble);
  // x Phi(x): Phi(1) = 0.8413447461, Phi(-1) = 0.1586552539
  EXPECT_TENSOR(F::gelu(x), {3}, {-0.15865525393145707, 0, 0.8413447460685429}, 1e-12);
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) at x = 1: 0.8411919906
  EXPECT_TENSOR(F::gelu(x, F::GELUFuncOptions().approximate("tanh")), {3},
                {-0.15880800939172324, 0, 0.8411919906082768}, 1e-12);
  EXPECT_THROW_MSG(F::gelu(x, F::GELUFuncOptions().approximate("foo")),
                   "approximate argument must be either none or tanh.");
  Tensor f = tensor({0.0f, std::log(3.0f)});
  Tensor s = F::softmax(f, F::SoftmaxFuncOptions(0).dtype(kDouble));
  EXPECT_EQ(s.dtype(), kDouble);
  EXPECT_TENSOR(s, {2}, {0.25, 0.75}, 1e-7);
  EXPECT_TENSOR(F::log_softmax(f, 0), {2}, {std::log(0.25), std::log(0.75)}, 1e-6);
  EXPECT_EQ(F::log_softmax(f, F::LogSoftmaxFuncOptions(-1)).dtype(), kFloat);
}

TEST(Softmax, ZeroSizeDimsGiveEmptyResultsAndGradients) {
  // A zero-size dim other than the softmax's leaves no rows (and no memory) at all.
  for (int64_t dim : {0, 1, 2}) {
    for (bool log : {false, true}) {
      Tensor x = randn({3, 0, 4}).requires_grad_();
      Tensor y = log ? x.log_softmax(dim) : x.softmax(dim);
      EXPECT_EQ(y.sizes(), IntArrayRef({3, 0, 4}));
      y.sum().backward();
      EXPECT_EQ(x.grad().sizes(), IntArrayRef({3, 0, 4}));
    }
  }
}

TEST(Softmax, EveryRowLayoutMatchesAFloat64Reference) {
  // Rows along the last dim, short ones (below 32) 16 at a time through a
  // transposed copy, and rows along another dim 16 side by side (Note
  // [Vectorised softmax] in kernels/softmax.cpp): row lengths and counts around
  // those sizes, a row of -inf (NaN out, as libtorch's) and a row with one NaN.
  manual_seed(5);
  for (ScalarType dtype : {kFloat, kDouble}) {
    const double tol = dtype == kFloat ? 1e-5 : 1e-12;
    for (int64_t dim : {1, 10, 31, 32, 100}) {
      for (int64_t inner : {1, 3, 17}) {
        for (int64_t outer : {1, 15, 17, 40}) {
          Tensor x = (randn({outer, dim, inner}, kDouble) * 5).to(dtype);
          if (outer > 2) {
            x.index_put_({1}, -std::numeric_limits<double>::infinity());
            x.index_put_({2, dim - 1, 0}, std::nan(""));
          }
          const Tensor g = randn({outer, dim, inner}, kDouble);
          const Tensor xd = x.to(kDouble);
          const Tensor e = (xd - xd.amax({1}, true)).exp();
          const Tensor softmax_ref = e / e.sum({1}, true);
          const Tensor log_softmax_ref = (xd - xd.amax({1}, true)) - e.sum({1}, true).log();
          SCOPED_TRACE(::testing::Message() << dtype << " outer " << outer << " dim " << dim << " inner " << inner);
          for (bool log : {false, true}) {
            Tensor leaf = x.clone().requires_grad_();
            Tensor y = log ? leaf.log_softmax(1) : leaf.softmax(1);
            y.backward(g.to(dtype));
            const Tensor y_ref = log ? log_softmax_ref : softmax_ref;
            // The backward formulas, from the reference output.
            const Tensor grad_ref = log ? g - softmax_ref * g.sum({1}, true) : y_ref * (g - (g * y_ref).sum({1}, true));
            EXPECT_TRUE(allclose(y.detach().to(kDouble), y_ref, tol, tol, /*equal_nan=*/true)) << "log " << log;
            EXPECT_TRUE(allclose(leaf.grad().to(kDouble), grad_ref, tol, tol, /*equal_nan=*/true)) << "log " << log;
          }
        }
      }
    }
  }
}

TEST(CrossEntropy, IsOneFusedNodeInTheGraph) {
  // log_softmax and nll_loss in one pass: the loss's node leads straight to the
  // logits' accumulator, with no LogSoftmaxBackward0 in between.
  Tensor x = leaf({1, 2, 3, 0, 1, -1}, {2, 3});
  Tensor loss = F::cross_entropy(x, tensor(std::vector<int64_t>{2, 0}));
  ASSERT_NE(loss.grad_fn(), nullptr);
  EXPECT_EQ(loss.grad_fn()->name(), "NllLossBackward0");
  ASSERT_EQ(loss.grad_fn()->next_edges().size(), 1u);
  EXPECT_EQ(loss.grad_fn()->next_edge(0).function->name(), "AccumulateGrad");
  EXPECT_EQ(autograd::graph_stats(loss).nodes, 1u);
}
