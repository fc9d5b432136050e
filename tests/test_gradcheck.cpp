// tg::autograd::gradcheck / gradgradcheck: they accept correct gradients, and they
// reject wrong ones with a message naming the input, the elements and both values.
#include <type_traits>

#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;

namespace {

Tensor leaf(std::vector<double> v, std::vector<int64_t> shape) {
  return tensor(v, dtype(kDouble)).reshape(shape).detach().requires_grad_(true);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// a * b whose backward gets b's gradient twice too large.
struct MulWrongSecondGrad : ag::Function<MulWrongSecondGrad> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor a, Tensor b) {
    ctx->save_for_backward({a, b});
    return a * b;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list g) {
    auto s = ctx->get_saved_variables();
    return {g[0] * s[1], g[0] * s[0] * 2};
  }
};

// x * x with a first derivative that is right but not differentiable: the saved
// input is detached, so the second derivative misses the 2 * grad term.
struct SquareDetachedBackward : ag::Function<SquareDetachedBackward> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list g) {
    return {g[0] * 2 * ctx->get_saved_variables()[0].detach()};
  }
};

// x * x whose backward detaches the incoming gradient.
struct SquareDetachedGrad : ag::Function<SquareDetachedGrad> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list g) {
    return {g[0].detach() * 2 * ctx->get_saved_variables()[0]};
  }
};

// 3x whose backward answers a zero incoming gradient with ones.
struct TripleLeaky : ag::Function<TripleLeaky> {
  static Tensor forward(ag::AutogradContext*, Tensor x) { return x * 3; }
  static ag::variable_list backward(ag::AutogradContext*, ag::variable_list g) {
    if (g[0].abs().sum().item<double>() == 0.0) return {ones_like(g[0])};
    return {g[0] * 3};
  }
};

// x * k with backward g * k * (1 + rel): wrong by a relative error `rel`.
struct ScaledSlightlyWrong : ag::Function<ScaledSlightlyWrong> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x, double rel) {
    ctx->saved_data["rel"] = rel;
    return x * 2;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list g) {
    return {g[0] * (2 * (1 + ctx->saved_data["rel"].toDouble())), Tensor()};
  }
};

}  // namespace

static_assert(!std::is_convertible_v<ag::GradcheckResult, bool>, "operator bool must be explicit");
static_assert(std::is_constructible_v<bool, ag::GradcheckResult>);

TEST(Gradcheck, AcceptsCorrectGradientsOfSeveralInputs) {
  Tensor a = leaf({1.5, -0.5, 2.0, 0.25}, {2, 2}), b = leaf({0.5, 1.0, -2.0, 3.0}, {2, 2});
  auto r = ag::gradcheck([](const std::vector<Tensor>& x) { return (x[0] * x[1]).exp() / (x[1] * x[1] + 1); }, {a, b});
  EXPECT_TRUE(r) << r.message;
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.message, "");
  // Inputs are left exactly as they were (perturbations are undone).
  EXPECT_TENSOR(a, {2, 2}, {1.5, -0.5, 2.0, 0.25}, 0.0);
  EXPECT_FALSE(a.grad().defined());
}

TEST(Gradcheck, AcceptsSingleTensorCallableAndVectorOutputs) {
  Tensor x = leaf({0.3, -1.2, 2.0}, {3});
  auto r1 = ag::gradcheck([](const Tensor& t) { return t.tanh(); }, x);
  EXPECT_TRUE(r1) << r1.message;
  auto r2 = ag::gradcheck([](const Tensor& t) { return std::vector<Tensor>{t.exp(), t.sum() * t}; }, {x});
  EXPECT_TRUE(r2) << r2.message;
}

TEST(Gradcheck, NonContiguousInputsAndConstantIntegerInputs) {
  Tensor base = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, dtype(kDouble));
  Tensor xt = base.t().detach().requires_grad_(true);  // {3, 2}, strides {1, 3}
  ASSERT_FALSE(xt.is_contiguous());
  Tensor idx = tensor({2, 0, 2});
  auto r = ag::gradcheck([](const std::vector<Tensor>& x) { return x[0].index_select(0, x[1]) * x[0].sum(0); },
                         {xt, idx});
  EXPECT_TRUE(r) << r.message;
  EXPECT_TENSOR(xt, {3, 2}, {1, 4, 2, 5, 3, 6}, 0.0);
}

TEST(Gradcheck, RejectsWrongBackwardNamingInputAndElements) {
  Tensor a = leaf({1.5, -0.5, 2.0, 0.25}, {2, 2}), b = leaf({0.5, 1.0, -2.0, 3.0}, {2, 2});
  auto r = ag::gradcheck([](const std::vector<Tensor>& x) { return MulWrongSecondGrad::apply(x[0], x[1]); }, {a, b});
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.ok);
  // Input 0's gradient is right; the first mismatch is input 1's first element,
  // where d out[0,0] / d b[0,0] = a[0,0] = 1.5 but backward says 3.
  EXPECT_TRUE(contains(r.message, "Jacobian mismatch for input 1 element [0, 0] and output 0 element [0, 0]"))
      << r.message;
  EXPECT_TRUE(contains(r.message, "analytic 3 vs numerical 1.5")) << r.message;
}

TEST(Gradcheck, MismatchFurtherInTheJacobian) {
  // Only the element at [1, 0] of the output depends wrongly on input [1, 0].
  Tensor x = leaf({0.5, 1.0, 2.0, -1.0}, {2, 2});
  Tensor mask = tensor({{false, false}, {true, false}});
  auto r = ag::gradcheck(
      [&mask](const Tensor& t) {
        return where(mask, ScaledSlightlyWrong::apply(t, 0.5), t * 2);
      },
      x);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.message, "input 0 element [1, 0] and output 0 element [1, 0]: analytic 3 vs numerical 2"))
      << r.message;
}

TEST(Gradcheck, ToleranceDecides) {
  Tensor x = leaf({0.5, -1.0}, {2});
  auto fn = [](const Tensor& t) { return ScaledSlightlyWrong::apply(t, 1e-4); };
  EXPECT_TRUE(ag::gradcheck(fn, x));                               // rtol 1e-3 tolerates 1e-4
  auto strict = ag::gradcheck(fn, x, 1e-6, 1e-7, 1e-6);
  ASSERT_FALSE(strict);
  EXPECT_TRUE(contains(strict.message, "input 0 element [0] and output 0 element [0]: analytic 2.0002 vs numerical 2"))
      << strict.message;
}

TEST(Gradcheck, ZeroIncomingGradientMustGiveZero) {
  Tensor x = leaf({0.5, -1.0, 2.0}, {3});
  auto r = ag::gradcheck([](const Tensor& t) { return TripleLeaky::apply(t); }, x);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.message, "backward with a zero incoming gradient gave 1 (expected 0) for input 0 element [0]"))
      << r.message;
}

TEST(Gradcheck, RejectsInputsItCannotUse) {
  Tensor f = tensor({1.0f, 2.0f}, requires_grad());
  EXPECT_THROW_MSG(ag::gradcheck([](const Tensor& t) { return t * 2; }, f),
                   "gradcheck: input 0 has dtype Float; finite differences need float64 inputs");
  Tensor d = tensor({1.0, 2.0}, dtype(kDouble));
  EXPECT_THROW_MSG(ag::gradcheck([](const Tensor& t) { return t * 2; }, d),
                   "gradcheck expects at least one input tensor to require gradient");
  Tensor e = tensor({1.0}, dtype(kDouble)).expand({3}).detach().requires_grad_(true);
  EXPECT_THROW_MSG(ag::gradcheck([](const Tensor& t) { return t * 2; }, e), "input 0 has a dimension with stride 0");
  Tensor ok = leaf({1.0, 2.0}, {2});
  EXPECT_THROW_MSG(ag::gradcheck([](const Tensor& t) { return (t * 2).to(kFloat); }, ok),
                   "gradcheck: output 0 has dtype Float; finite differences need float64 outputs");
}

TEST(Gradcheck, ConstantAndIntegerOutputsAreHandled) {
  Tensor x = leaf({0.5, 2.0, -1.0}, {3});
  // An argmax output has no derivative; the float output is checked.
  auto r = ag::gradcheck([](const Tensor& t) { return std::vector<Tensor>{t.argmax(), t.exp()}; }, x);
  EXPECT_TRUE(r) << r.message;
}

TEST(Gradgradcheck, AcceptsCorrectSecondDerivatives) {
  Tensor a = leaf({1.5, -0.5, 2.0}, {3}), b = leaf({0.5, 1.0, -2.0}, {3});
  auto r = ag::gradgradcheck([](const std::vector<Tensor>& x) { return (x[0] * x[1]).tanh() * x[0]; }, {a, b});
  EXPECT_TRUE(r) << r.message;
  auto r2 = ag::gradgradcheck([](const Tensor& t) { return t.exp().sum(); }, a);
  EXPECT_TRUE(r2) << r2.message;
}

TEST(Gradgradcheck, RejectsNonDifferentiableBackward) {
  Tensor x = leaf({0.5, 3.0}, {2});
  // First order is right...
  auto first = ag::gradcheck([](const Tensor& t) { return SquareDetachedBackward::apply(t); }, x);
  EXPECT_TRUE(first) << first.message;
  // ...but d/dx (2 g x) = 2 g is lost: with g = [0.5, -1], analytic 0 vs numerical 1.
  Tensor g = tensor({0.5, -1.0}, dtype(kDouble));
  auto r = ag::gradgradcheck([](const Tensor& t) { return SquareDetachedBackward::apply(t); }, {x}, {g});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.message, "gradgradcheck: Jacobian mismatch for input 0 element [0] and the gradient of "
                                  "input 0 element [0]: analytic 0 vs numerical 1"))
      << r.message;
}

TEST(Gradgradcheck, ChecksGradOutputsToo) {
  // The gradient 2 g x is right in value and in x, but built from a detached g,
  // so its derivative in g (2x = 1 at x = 0.5) comes out as 0.
  Tensor x = leaf({0.5, 3.0}, {2});
  Tensor g = tensor({0.5, -1.0}, dtype(kDouble));
  auto fn = [](const Tensor& t) { return SquareDetachedGrad::apply(t); };
  EXPECT_TRUE(ag::gradcheck(fn, x));
  auto r = ag::gradgradcheck(fn, {x}, {g});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.message, "gradgradcheck: Jacobian mismatch for grad_output 0 element [0] and the gradient "
                                  "of input 0 element [0]: analytic 0 vs numerical 1"))
      << r.message;
  EXPECT_THROW_MSG(ag::gradgradcheck([](const Tensor& t) { return t * 2; }, {x}, {g, g}),
                   "gradgradcheck: expected 1 grad_outputs (one per differentiable output), got 2");
}
