// Results laid out as libtorch lays them out (Note [Elementwise output layout] in
// src/ops/elementwise_layout.cpp): the same expression, compiled against both
// libraries, on the same values, must give the same strides and values. The op
// table's parity test (test_ops_torch) checks every op with all of its inputs
// transposed; these are the cases where the inputs' layouts differ (the first
// input whose strides tell decides), broadcasts, permutations of 3-d tensors,
// size-1 dims, inputs with gaps, the *_like functions, copies and gradients.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "support/torch_support.h"

namespace {

using tg::testing::to_torch;

// Same sizes, dtype and values (floating ones to a few ulp: exp, tanh and gelu
// are not libtorch's bit for bit), and the same strides along every dim longer
// than 1 (a size-1 dim's stride is never used to step).
::testing::AssertionResult same_layout(const tg::Tensor& got, const torch::Tensor& expected) {
  if (got.sizes().vec() != expected.sizes().vec())
    return ::testing::AssertionFailure() << "sizes " << got.sizes() << " vs libtorch " << expected.sizes();
  if (got.dtype() != tg::testing::from_torch(expected.scalar_type()))
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " vs libtorch " << expected.scalar_type();
  for (int64_t d = 0; d < got.dim(); ++d)
    if (got.size(d) != 1 && got.stride(d) != expected.stride(d))
      return ::testing::AssertionFailure() << "strides " << got.strides() << " vs libtorch " << expected.strides();
  if (got.is_contiguous() != expected.is_contiguous())
    return ::testing::AssertionFailure() << "is_contiguous " << got.is_contiguous() << " vs libtorch "
                                         << expected.is_contiguous();
  const torch::Tensor ours = to_torch(got);
  const bool close = got.is_floating_point() ? torch::allclose(ours, expected, 1e-5, 1e-6) : torch::equal(ours, expected);
  if (!close) return ::testing::AssertionFailure() << "values differ:\n" << ours << "\nlibtorch:\n" << expected;
  return ::testing::AssertionSuccess();
}

// The inputs, the same values in both libraries: a [6, 5] and b [5, 6] float32
// (a.t() has b's shape), c [2, 3, 4], d [3, 1, 4].
template <class Tensor>
struct Inputs {
  Tensor a, b, c, d;
};

struct Case {
  std::string label;
  std::function<tg::Tensor(const Inputs<tg::Tensor>&)> ours;
  std::function<torch::Tensor(const Inputs<torch::Tensor>&)> theirs;
};

// One expression over the inputs (a, b, c, d), with L the library's namespace.
#define LAYOUT_CASE(label, expr)                                 \
  Case {                                                         \
    label,                                                       \
        [](const Inputs<tg::Tensor>& in) {                       \
          namespace L = tg;                                      \
          [[maybe_unused]] const auto &a = in.a, &b = in.b;      \
          [[maybe_unused]] const auto &c = in.c, &d = in.d;      \
          return tg::Tensor(expr);                               \
        },                                                       \
        [](const Inputs<torch::Tensor>& in) {                    \
          namespace L = torch;                                   \
          [[maybe_unused]] const auto &a = in.a, &b = in.b;      \
          [[maybe_unused]] const auto &c = in.c, &d = in.d;      \
          return torch::Tensor(expr);                            \
        }                                                        \
  }

std::vector<Case> cases() {
  return {
      // One input: its layout.
      LAYOUT_CASE("exp(a.t())", a.t().exp()),
      LAYOUT_CASE("a.t() * 2", a.t() * 2),
      LAYOUT_CASE("relu(a.t())", L::relu(a.t())),
      LAYOUT_CASE("gelu(a.t())", L::gelu(a.t())),
      LAYOUT_CASE("leaky_relu(a.t())", L::leaky_relu(a.t(), 0.1)),
      LAYOUT_CASE("a.t().clamp", a.t().clamp(-0.5, 0.5)),
      LAYOUT_CASE("a.t().pow(2)", a.t().pow(2)),
      LAYOUT_CASE("-a.t()", -a.t()),
      LAYOUT_CASE("a.t() > 0", a.t() > 0),
      LAYOUT_CASE("~(a.t() > 0)", ~(a.t() > 0)),
      LAYOUT_CASE("a.t().to(long) * 2", a.t().to(L::kLong) * 2),
      LAYOUT_CASE("a.t().to(double)", a.t().to(L::kDouble)),
      LAYOUT_CASE("a.t().clone()", a.t().clone()),
      LAYOUT_CASE("a.t().contiguous()", a.t().contiguous()),
      LAYOUT_CASE("a.t().clone().mul_(2)", a.t().clone().mul_(2)),
      LAYOUT_CASE("2.5 - a.t()", 2.5 - a.t()),
      LAYOUT_CASE("1 / a.t()", 1.0 / a.t()),
      LAYOUT_CASE("pow(2, a.t())", L::pow(2.0, a.t())),
      LAYOUT_CASE("(a.t() * 2).reshape(-1)", (a.t() * 2).reshape({-1})),
      // Two or three inputs: the first whose strides tell decides.
      LAYOUT_CASE("a.t() + a.t()", a.t() + a.t()),
      LAYOUT_CASE("a.t() + b", a.t() + b),
      LAYOUT_CASE("b + a.t()", b + a.t()),
      LAYOUT_CASE("a.t() * b.select(0, 0)", a.t() * b.select(0, 0)),
      LAYOUT_CASE("column + a.t()", b.select(1, 0).unsqueeze(1) + a.t()),
      LAYOUT_CASE("where(a.t() > 0, a.t(), b)", L::where(a.t() > 0, a.t(), b)),
      LAYOUT_CASE("where(b > 0, a.t(), b)", L::where(b > 0, a.t(), b)),
      LAYOUT_CASE("where(a.t() > 0, 1.5, b)", L::where(a.t() > 0, 1.5, b)),
      LAYOUT_CASE("maximum(b, a.t())", L::maximum(b, a.t())),
      // Permutations of three dims, broadcasts, size-1 dims, gaps.
      LAYOUT_CASE("c.permute(2, 0, 1).exp()", c.permute({2, 0, 1}).exp()),
      LAYOUT_CASE("c.permute(1, 0, 2) squared", c.permute({1, 0, 2}) * c.permute({1, 0, 2})),
      LAYOUT_CASE("permuted + contiguous", c.permute({2, 0, 1}) + c.permute({2, 0, 1}).contiguous()),
      LAYOUT_CASE("permuted + transposed plane", c.permute({2, 0, 1}) + c.select(0, 0).t().unsqueeze(1)),
      LAYOUT_CASE("d.permute(2, 1, 0) * 2", d.permute({2, 1, 0}) * 2),
      LAYOUT_CASE("b.slice(1, 0, 6, 2) * 2", b.slice(1, 0, 6, 2) * 2),
      LAYOUT_CASE("a.t().slice(0, 0, 5, 2) * 2", a.t().slice(0, 0, 5, 2) * 2),
      LAYOUT_CASE("expanded column * 2", b.select(1, 0).unsqueeze(1).expand({5, 6}) * 2),
      // Reductions read a dense input in memory order (Note [Reducing in memory
      // order]); their results are contiguous, indices count logical positions.
      LAYOUT_CASE("a.t().sum()", a.t().sum()),
      LAYOUT_CASE("a.t().sum(0)", a.t().sum(0)),
      LAYOUT_CASE("a.t().sum(1, keepdim)", a.t().sum(1, true)),
      LAYOUT_CASE("a.t().mean(1)", a.t().mean(1)),
      LAYOUT_CASE("a.t().amax(0)", a.t().amax(0)),
      LAYOUT_CASE("a.t().argmax()", a.t().argmax()),
      LAYOUT_CASE("a.t().argmin(1)", a.t().argmin(1)),
      LAYOUT_CASE("max(a.t(), 0) indices", std::get<1>(a.t().max(0))),
      LAYOUT_CASE("a.t().logsumexp(1)", a.t().logsumexp(1)),
      LAYOUT_CASE("c.permute(2, 0, 1).sum(1)", c.permute({2, 0, 1}).sum(1)),
      LAYOUT_CASE("c.permute(2, 0, 1).sum({0, 2})", c.permute({2, 0, 1}).sum(std::vector<int64_t>{0, 2})),
      LAYOUT_CASE("c.permute(1, 2, 0).sum(0)", c.permute({1, 2, 0}).sum(0)),
      LAYOUT_CASE("c.permute(2, 1, 0).amax(1)", c.permute({2, 1, 0}).amax(1)),
      LAYOUT_CASE("c.permute(2, 1, 0).argmax()", c.permute({2, 1, 0}).argmax()),
      LAYOUT_CASE("d.permute(2, 1, 0).sum(2)", d.permute({2, 1, 0}).sum(2)),
      // Elementwise losses (reduction none) too; binary_cross_entropy_with_logits
      // builds its loss on 1 - target.
      LAYOUT_CASE("bce(sigmoid(a.t()), sigmoid(b))",
                  L::nn::functional::binary_cross_entropy(
                      a.t().sigmoid(), b.sigmoid(), L::nn::functional::BinaryCrossEntropyFuncOptions().reduction(L::kNone))),
      LAYOUT_CASE("bce(sigmoid(b), sigmoid(a.t()))",
                  L::nn::functional::binary_cross_entropy(
                      b.sigmoid(), a.t().sigmoid(), L::nn::functional::BinaryCrossEntropyFuncOptions().reduction(L::kNone))),
      LAYOUT_CASE("bce_with_logits(a.t(), sigmoid(b))",
                  L::nn::functional::binary_cross_entropy_with_logits(
                      a.t(), b.sigmoid(), L::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().reduction(L::kNone))),
      LAYOUT_CASE("bce_with_logits(b, sigmoid(a.t()))",
                  L::nn::functional::binary_cross_entropy_with_logits(
                      b, a.t().sigmoid(), L::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().reduction(L::kNone))),
      LAYOUT_CASE("mse_loss(a.t(), b)", L::nn::functional::mse_loss(a.t(), b, L::nn::functional::MSELossFuncOptions().reduction(L::kNone))),
      // The *_like functions keep a dense input's layout.
      LAYOUT_CASE("zeros_like(a.t())", L::zeros_like(a.t())),
      LAYOUT_CASE("ones_like(c.permute(2, 0, 1))", L::ones_like(c.permute({2, 0, 1}))),
      LAYOUT_CASE("full_like(a.t(), 2.5)", L::full_like(a.t(), 2.5)),
      LAYOUT_CASE("empty_like(a.t()).fill_(1.5)", L::empty_like(a.t()).fill_(1.5)),
      LAYOUT_CASE("zeros_like(b.slice(1, 0, 6, 2))", L::zeros_like(b.slice(1, 0, 6, 2))),
  };
}
#undef LAYOUT_CASE

Inputs<tg::Tensor> tg_inputs() {
  tg::manual_seed(11);
  return {tg::randn({6, 5}), tg::randn({5, 6}), tg::randn({2, 3, 4}), tg::randn({3, 1, 4})};
}

Inputs<torch::Tensor> torch_inputs(const Inputs<tg::Tensor>& in) {
  return {to_torch(in.a), to_torch(in.b), to_torch(in.c), to_torch(in.d)};
}

class Layouts : public ::testing::TestWithParam<size_t> {};

TEST_P(Layouts, StridesAndValuesMatchLibtorch) {
  const Case c = cases()[GetParam()];
  const Inputs<tg::Tensor> ours = tg_inputs();
  EXPECT_TRUE(same_layout(c.ours(ours), c.theirs(torch_inputs(ours)))) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Elementwise, Layouts, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string name = cases()[info.param].label;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name + "_" + std::to_string(info.param);
                         });

TEST(Layouts, GradientsOfTransposedComputationsMatchLibtorch) {
  // A contiguous leaf read through its transpose gets a contiguous gradient; a
  // transposed leaf gets a transposed one (Note [Gradient layout]).
  const Inputs<tg::Tensor> ours = tg_inputs();
  const Inputs<torch::Tensor> theirs = torch_inputs(ours);
  const tg::Tensor a = ours.a.clone().requires_grad_(), at = ours.a.t().detach().requires_grad_();
  const torch::Tensor ta = theirs.a.clone().requires_grad_(), tat = theirs.a.t().detach().requires_grad_();
  (tg::relu(a.t()).exp() * ours.b + at.tanh() * 3).sum().backward();
  (torch::relu(ta.t()).exp() * theirs.b + tat.tanh() * 3).sum().backward();
  EXPECT_TRUE(same_layout(a.grad(), ta.grad()));
  EXPECT_TRUE(same_layout(at.grad(), tat.grad()));
}

TEST(Layouts, LargeTransposedInputsReadInOrder) {
  // Above the size where an input read across its rows is copied first
  // (read_across_rows in src/ops/op_helpers.h), and not a multiple of the
  // copy's 16 x 16 blocks: the transposed result, the mixed layouts that copy
  // one input into the other's layout, and an in-place update through a view.
  tg::manual_seed(12);
  const tg::Tensor a = tg::randn({90, 70}), b = tg::randn({70, 90});
  const torch::Tensor ta = to_torch(a), tb = to_torch(b);
  EXPECT_TRUE(same_layout(a.t() * 2, ta.t() * 2));
  EXPECT_TRUE(same_layout(a.t() + b, ta.t() + tb));
  EXPECT_TRUE(same_layout(b - a.t(), tb - ta.t()));
  EXPECT_TRUE(same_layout(a.t().to(tg::kDouble) * b, ta.t().to(torch::kDouble) * tb));
  EXPECT_TRUE(same_layout(tg::where(b > 0, a.t(), 0.5), torch::where(tb > 0, ta.t(), 0.5)));
  tg::Tensor target = b.clone();
  torch::Tensor ttarget = tb.clone();
  target.t().mul_(a).add_(3);
  ttarget.t().mul_(ta).add_(3);
  EXPECT_TRUE(same_layout(target, ttarget));
  EXPECT_TRUE(tg::equal(a.t() * 2, (a * 2).t()));
}

}  // namespace
