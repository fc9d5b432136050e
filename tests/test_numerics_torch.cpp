// NaN and Inf propagate as libtorch 1.13's do: every op below runs on the same
// special values (NaN, ±Inf, ±0, ±1, huge, subnormal, ±1e4) in tensorgrad and in
// libtorch, in float32 and float64, and the results and gradients must agree: NaN
// where libtorch gives NaN, the same infinities, and the same values elsewhere
// (to rounding).
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "support/test_support.h"

namespace {

const std::vector<double> kSpecial = {std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      1e308,
                                      4e-320,
                                      1e4,
                                      -1e4,
                                      0.5};

tg::Tensor to_tg(const std::vector<double>& v, tg::ScalarType dtype) { return tg::tensor(v, tg::kDouble).to(dtype); }

torch::Tensor to_torch(const tg::Tensor& t) {
  const tg::Tensor c = t.contiguous();
  const auto type = c.dtype() == tg::kFloat ? torch::kFloat : c.dtype() == tg::kDouble ? torch::kDouble
                    : c.dtype() == tg::kLong ? torch::kLong : torch::kBool;
  return torch::from_blob(c.data_ptr(), c.sizes().vec(), type).clone();
}

std::vector<double> torch_values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Same shape and values: NaN for NaN, equal infinities, and finite values within
// rtol (relative to max(1, |libtorch's|)). The sign of a zero is not compared
// (libtorch's own vectorised and scalar kernels differ there).
::testing::AssertionResult agree(const tg::Tensor& got, const torch::Tensor& expected, double rtol,
                                 const std::vector<double>& inputs) {
  if (got.defined() != expected.defined())
    return ::testing::AssertionFailure() << "defined " << got.defined() << " vs libtorch " << expected.defined();
  if (!got.defined()) return ::testing::AssertionSuccess();
  if (got.sizes().vec() != expected.sizes().vec()) return ::testing::AssertionFailure() << "shapes differ";
  const std::vector<double> a = tg::testing::values(got), b = torch_values(expected);
  for (size_t i = 0; i < a.size(); ++i) {
    const bool ok = std::isnan(b[i])   ? std::isnan(a[i])
                    : std::isinf(b[i]) ? a[i] == b[i]
                                       : std::abs(a[i] - b[i]) <= rtol * std::max(1.0, std::abs(b[i]));
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << " (input " << (i < inputs.size() ? inputs[i] : 0.0) << "): " << a[i]
         << " vs libtorch " << b[i];
      return ::testing::AssertionFailure() << os.str();
    }
  }
  return ::testing::AssertionSuccess();
}

double rtol(tg::ScalarType t) { return t == tg::kDouble ? 1e-12 : 1e-5; }

struct UnaryOp {
  const char* name;
  std::function<tg::Tensor(const tg::Tensor&)> tg_fn;
  std::function<torch::Tensor(const torch::Tensor&)> torch_fn;
};

// One call written once for both libraries (`T` is tg or torch).
#define UNARY(name, ...)                                                                           \
  UnaryOp {                                                                                        \
    name, [](const tg::Tensor& x) { namespace T = tg; (void)x; return __VA_ARGS__; },              \
        [](const torch::Tensor& x) { namespace T = torch; (void)x; return __VA_ARGS__; }           \
  }

std::vector<UnaryOp> unary_ops() {
  return {
      UNARY("neg", -x),
      UNARY("abs", x.abs()),
      UNARY("sign", x.sign()),
      UNARY("exp", x.exp()),
      UNARY("log", x.log()),
      UNARY("sqrt", x.sqrt()),
      UNARY("rsqrt", x.rsqrt()),
      UNARY("reciprocal", x.reciprocal()),
      UNARY("square", x.square()),
      UNARY("erf", x.erf()),
      UNARY("tanh", x.tanh()),
      UNARY("sigmoid", x.sigmoid()),
      UNARY("relu", x.relu()),
      UNARY("gelu", T::gelu(x)),
      UNARY("gelu_tanh", T::gelu(x, "tanh")),
      UNARY("leaky_relu", T::leaky_relu(x, 0.1)),
      UNARY("pow_2", x.pow(2)),
      UNARY("pow_half", x.pow(0.5)),
      UNARY("pow_0", x.pow(0)),
      UNARY("pow_minus1", x.pow(-1)),
      UNARY("scalar_pow", T::pow(2.0, x)),
      UNARY("clamp", x.clamp(-1, 1)),
      UNARY("clamp_min", x.clamp_min(0)),
      UNARY("clamp_max", x.clamp_max(0)),
      UNARY("add_scalar", x + 1),
      UNARY("mul_scalar", x * 2),
      UNARY("div_scalar_zero", x / 0),
      UNARY("scalar_div", 1 / x),
      UNARY("scalar_sub", 1 - x),
      UNARY("mul_inf", x * std::numeric_limits<double>::infinity()),
      UNARY("isnan", T::isnan(x)),
      UNARY("isfinite", T::isfinite(x)),
      UNARY("eq_self", x.eq(x)),
      UNARY("gt_zero", x.gt(0)),
      UNARY("where_positive", T::where(x.gt(0), x, x * 3)),
      UNARY("to_double", x.to(T::kDouble)),
      UNARY("to_float", x.to(T::kFloat)),
      UNARY("to_bool", x.to(T::kBool)),
  };
}

// Ops over a whole row of special values (NaN among them, or left out).
std::vector<UnaryOp> row_ops() {
  return {
      UNARY("sum", x.sum()),
      UNARY("mean", x.mean()),
      UNARY("max", x.max()),
      UNARY("min", x.min()),
      UNARY("amax", x.amax(0)),
      UNARY("amin", x.amin(0)),
      UNARY("max_dim_values", std::get<0>(x.max(0))),
      UNARY("min_dim_values", std::get<0>(x.min(0))),
      UNARY("argmax", x.argmax()),
      UNARY("argmin", x.argmin()),
      UNARY("max_dim_indices", std::get<1>(x.max(0))),
      UNARY("logsumexp", x.logsumexp(0)),
      UNARY("softmax", x.softmax(0)),
      UNARY("log_softmax", x.log_softmax(0)),
      UNARY("dot_via_matmul", x.unsqueeze(0).matmul(x.unsqueeze(1))),
      UNARY("mse_loss", T::nn::functional::mse_loss(x, T::zeros_like(x))),
      UNARY("bce_with_logits",
            T::nn::functional::binary_cross_entropy_with_logits(x, T::full_like(x, 0.25))),
      UNARY("cross_entropy", T::nn::functional::cross_entropy(x.unsqueeze(0), T::tensor({int64_t{2}}))),
      UNARY("layer_norm", T::nn::functional::layer_norm(x, T::nn::functional::LayerNormFuncOptions({x.size(0)}))),
  };
}

class NanInfUnary : public ::testing::TestWithParam<tg::ScalarType> {};

TEST_P(NanInfUnary, ValuesAndGradientsMatchLibtorch) {
  const tg::ScalarType dtype = GetParam();
  for (const UnaryOp& op : unary_ops()) {
    SCOPED_TRACE(op.name);
    const tg::Tensor x = to_tg(kSpecial, dtype).requires_grad_();
    const torch::Tensor tx = to_torch(x.detach()).requires_grad_();
    const tg::Tensor y = op.tg_fn(x);
    const torch::Tensor ty = op.torch_fn(tx);
    const std::vector<double> inputs = tg::testing::values(x);
    EXPECT_TRUE(agree(y, ty, rtol(dtype), inputs));
    ASSERT_EQ(y.requires_grad(), ty.requires_grad());
    if (!ty.requires_grad()) continue;
    y.backward(tg::ones_like(y));
    ty.backward(torch::ones_like(ty));
    EXPECT_TRUE(agree(x.grad(), tx.grad(), rtol(dtype), inputs)) << "gradient";
  }
}

TEST_P(NanInfUnary, ReductionsOverRowsWithNaNAndInf) {
  const tg::ScalarType dtype = GetParam();
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<double>> rows = {
      {1.0, nan, 3.0}, {nan, 2.0, nan}, {inf, 1.0, -2.0}, {-inf, -inf, 0.0}, {inf, -inf, 1.0},
      {inf, inf, 2.0}, {1e4, -1e4, 0.0}, {-0.0, 0.0, -0.0}, {3.0, 1.0, 3.0}, {1e308, 1e308, -1.0}};
  for (const UnaryOp& op : row_ops()) {
    for (const auto& row : rows) {
      std::ostringstream trace;
      trace << op.name << " of [" << row[0] << ", " << row[1] << ", " << row[2] << "]";
      SCOPED_TRACE(trace.str());
      const tg::Tensor x = to_tg(row, dtype).requires_grad_();
      const torch::Tensor tx = to_torch(x.detach()).requires_grad_();
      const tg::Tensor y = op.tg_fn(x);
      const torch::Tensor ty = op.torch_fn(tx);
      EXPECT_TRUE(agree(y, ty, rtol(dtype), row));
      ASSERT_EQ(y.requires_grad(), ty.requires_grad());
      if (!ty.requires_grad()) continue;
      y.backward(tg::ones_like(y));
      ty.backward(torch::ones_like(ty));
      EXPECT_TRUE(agree(x.grad(), tx.grad(), rtol(dtype), row)) << "gradient";
    }
  }
}

struct BinaryOp {
  const char* name;
  std::function<tg::Tensor(const tg::Tensor&, const tg::Tensor&)> tg_fn;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> torch_fn;
};

#define BINARY(name, ...)                                                                                   \
  BinaryOp {                                                                                                \
    name, [](const tg::Tensor& a, const tg::Tensor& b) { namespace T = tg; return __VA_ARGS__; },           \
        [](const torch::Tensor& a, const torch::Tensor& b) { namespace T = torch; return __VA_ARGS__; }     \
  }

TEST_P(NanInfUnary, BinaryOpsOnEveryPairOfSpecialValues) {
  const tg::ScalarType dtype = GetParam();
  const std::vector<BinaryOp> ops = {
      BINARY("add", a + b),
      BINARY("sub", a - b),
      BINARY("mul", a * b),
      BINARY("div", a / b),
      BINARY("pow", a.pow(b)),
      BINARY("maximum", T::maximum(a, b)),
      BINARY("minimum", T::minimum(a, b)),
      BINARY("add_alpha", a.add(b, 2)),
      BINARY("lt", a.lt(b)),
      BINARY("eq", a.eq(b)),
      BINARY("ne", a.ne(b)),
      BINARY("where", T::where(a.ge(b), a, b)),
      BINARY("mse_none", T::nn::functional::mse_loss(a, b, T::nn::functional::MSELossFuncOptions(T::kNone))),
      BINARY("prelu", T::prelu(a, b.reshape({-1}).slice(0, 0, 1))),
  };
  std::vector<double> left, right;
  for (double u : kSpecial)
    for (double v : kSpecial) {
      left.push_back(u);
      right.push_back(v);
    }
  for (const BinaryOp& op : ops) {
    SCOPED_TRACE(op.name);
    const tg::Tensor a = to_tg(left, dtype).requires_grad_(), b = to_tg(right, dtype).requires_grad_();
    const torch::Tensor ta = to_torch(a.detach()).requires_grad_(), tb = to_torch(b.detach()).requires_grad_();
    const tg::Tensor y = op.tg_fn(a, b);
    const torch::Tensor ty = op.torch_fn(ta, tb);
    EXPECT_TRUE(agree(y, ty, rtol(dtype), left));
    ASSERT_EQ(y.requires_grad(), ty.requires_grad());
    if (!ty.requires_grad()) continue;
    y.backward(tg::ones_like(y));
    ty.backward(torch::ones_like(ty));
    EXPECT_TRUE(agree(a.grad(), ta.grad(), rtol(dtype), left)) << "gradient of a";
    EXPECT_TRUE(agree(b.grad(), tb.grad(), rtol(dtype), left)) << "gradient of b";
  }
}

INSTANTIATE_TEST_SUITE_P(Numerics, NanInfUnary, ::testing::Values(tg::kFloat, tg::kDouble),
                         [](const auto& info) { return std::string(tg::to_string(info.param)); });

}  // namespace
