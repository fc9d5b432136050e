// Numerical edge cases: zero-size tensors through ops and their backward, tensors
// of more than 2^31 elements (int64 indexing, as views over a small storage), and
// softmax / log_softmax / cross-entropy / BCE at extreme logits (±1e4) with finite
// gradients. Expected values and messages are libtorch 1.13's. Every op of the op
// table on zero-size inputs is compared with libtorch in test_ops_zero_size_torch.cpp,
// and NaN / Inf propagation in test_numerics_torch.cpp.
#include <cmath>
#include <limits>

#include "support/test_support.h"

using namespace tg;
using namespace tg::indexing;
namespace F = tg::nn::functional;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

int64_t count_finite(const Tensor& t) { return isfinite(t).sum().item<int64_t>(); }

}  // namespace

// ---- zero-size tensors ---------------------------------------------------------------------------

TEST(ZeroSize, Reductions) {
  const Tensor e = zeros({0, 3});
  EXPECT_TENSOR(e.sum(), {}, {0});
  EXPECT_TENSOR(e.sum(0), {3}, {0, 0, 0});
  EXPECT_TENSOR(e.sum(1), {0}, {});
  EXPECT_TENSOR(e.mean(), {}, {kNaN});
  EXPECT_TENSOR(e.mean(0), {3}, {kNaN, kNaN, kNaN});
  EXPECT_TENSOR(e.logsumexp(0), {3}, {-INFINITY, -INFINITY, -INFINITY});
  EXPECT_TENSOR(e.logsumexp(1), {0}, {});
  EXPECT_TENSOR(std::get<0>(e.max(1)), {0}, {});
  EXPECT_TENSOR(e.amax(1), {0}, {});
  EXPECT_TENSOR(e.argmax(1), {0}, {});
  EXPECT_THROW_MSG(e.max(), "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                            "reduction dim with the 'dim' argument.");
  EXPECT_THROW_MSG(e.min(), "min(): Expected reduction dim to be specified for input.numel() == 0.");
  EXPECT_THROW_MSG(e.max(0), "max(): Expected reduction dim 0 to have non-zero size.");
  EXPECT_THROW_MSG(e.amax(0), "amax(): Expected reduction dim 0 to have non-zero size.");
  EXPECT_THROW_MSG(e.argmax(), "argmax(): Expected reduction dim to be specified for input.numel() == 0.");
}

TEST(ZeroSize, ShapesAndViews) {
  const Tensor e = zeros({0, 3});
  EXPECT_TENSOR(e.view({-1}), {0}, {});
  EXPECT_TENSOR(e.view({3, -1}), {3, 0}, {});
  EXPECT_TENSOR(e.t(), {3, 0}, {});
  EXPECT_TENSOR(e.unsqueeze(1).expand({0, 2, 3}), {0, 2, 3}, {});
  EXPECT_TENSOR(e.slice(1, 1), {0, 2}, {});
  EXPECT_TENSOR(ones({2, 3}).slice(0, 2), {0, 3}, {});
  EXPECT_TENSOR(cat({e, ones({1, 3})}), {1, 3}, {1, 1, 1});
  EXPECT_TENSOR(stack({e, e}, 1), {0, 2, 3}, {});
  EXPECT_TENSOR(ones({2, 3}).index_select(0, zeros({0}, kLong)), {0, 3}, {});
  EXPECT_THROW_MSG(e.reshape({0, -1}), "cannot reshape tensor of 0 elements into shape [0, -1] because the "
                                       "unspecified dimension size -1 can be any value and is ambiguous");
}

TEST(ZeroSize, SoftmaxAndLosses) {
  const Tensor e = zeros({0, 3});
  EXPECT_TENSOR(e.softmax(0), {0, 3}, {});
  EXPECT_TENSOR(e.log_softmax(1), {0, 3}, {});
  const Tensor no_labels = zeros({0}, kLong);
  EXPECT_TENSOR(F::cross_entropy(e, no_labels), {}, {kNaN});
  EXPECT_TENSOR(F::cross_entropy(e, no_labels, F::CrossEntropyFuncOptions().reduction(kSum)), {}, {0});
  EXPECT_TENSOR(F::mse_loss(zeros({0}), zeros({0})), {}, {kNaN});
  EXPECT_TENSOR(F::binary_cross_entropy(zeros({0}), zeros({0})), {}, {kNaN});
}

TEST(ZeroSize, MatmulOverAnEmptyInnerDimIsZeros) {
  const Tensor a = zeros({2, 0}).requires_grad_();
  const Tensor b = zeros({0, 3}).requires_grad_();
  const Tensor c = a.matmul(b);
  EXPECT_TENSOR(c, {2, 3}, {0, 0, 0, 0, 0, 0});
  c.sum().backward();
  EXPECT_TENSOR(a.grad(), {2, 0}, {});
  EXPECT_TENSOR(b.grad(), {0, 3}, {});
}

TEST(ZeroSize, BackwardThroughAChainOfOps) {
  const Tensor x = zeros({0, 3}).requires_grad_();
  const Tensor w = ones({3, 2}).requires_grad_();
  const Tensor h = (x.exp() * 2 + 1).tanh().matmul(w).log_softmax(1);
  EXPECT_TENSOR(h, {0, 2}, {});
  const Tensor loss = h.sum() + x.mean(0).sum();
  loss.backward();
  EXPECT_TENSOR(x.grad(), {0, 3}, {});
  EXPECT_TENSOR(w.grad(), {3, 2}, {0, 0, 0, 0, 0, 0});
  // Double backward through zero-size tensors.
  const Tensor y = zeros({0}).requires_grad_();
  const Tensor g = autograd::grad({(y * y).sum()}, {y}, {}, nullopt, /*create_graph=*/true)[0];
  EXPECT_TENSOR(g, {0}, {});
  const Tensor gg = autograd::grad({g.sum()}, {y}, {}, nullopt, false, /*allow_unused=*/true)[0];
  EXPECT_TENSOR(gg, {0}, {});
}

// ---- more than 2^31 elements ----------------------------------------------------------------------
// Views of 32,769 x 65,536 = 2^31 + 2^16 elements over 65,536 (or 32,769) stored
// values: counts and flat indices past 2^31 need int64. Reductions, index_select
// and tensor indices copy a non-contiguous input first (kernels::plan_reduction,
// index_select_raw), which for these views would take 16 GB: they are checked on
// slices of the views. The elementwise loop runs over a whole view (its 2 GB bool
// result is the least any op over 2^31 elements must allocate).

namespace {
constexpr int64_t kRows = 32769, kCols = 65536;
// big[i][j] = j
Tensor by_column() { return arange(kCols, kLong).expand({kRows, kCols}); }
// big[i][j] = i
Tensor by_row() { return arange(kRows, kLong).unsqueeze(1).expand({kRows, kCols}); }
}  // namespace

TEST(Int64Indexing, SizesOfAViewBeyond2To31Elements) {
  const Tensor big = by_column();
  EXPECT_EQ(big.numel(), 2147549184);
  EXPECT_EQ(big.nbytes(), size_t{2147549184} * 8);
  EXPECT_EQ(big.stride(0), 0);
  const Tensor deeper = big.unsqueeze(0).expand({3, kRows, kCols});
  EXPECT_EQ(deeper.numel(), 3 * 2147549184);
  EXPECT_EQ(deeper.permute({2, 0, 1}).sizes().vec(), (std::vector<int64_t>{kCols, 3, kRows}));
}

TEST(Int64Indexing, SelectSliceNarrowAndIndex) {
  const Tensor big = by_row();
  EXPECT_EQ(big.select(0, kRows - 1).select(0, kCols - 1).item<int64_t>(), kRows - 1);
  EXPECT_EQ(big[-1][-1].item<int64_t>(), kRows - 1);
  EXPECT_TENSOR(big.slice(0, kRows - 2).slice(1, kCols - 3), {2, 3},
                {kRows - 2, kRows - 2, kRows - 2, kRows - 1, kRows - 1, kRows - 1});
  EXPECT_TENSOR(big.index({Slice(-1), Slice(None, None, 32768)}), {1, 2}, {kRows - 1, kRows - 1});
  EXPECT_TENSOR(big.t().index({kCols - 1, Slice(kRows - 2)}), {2}, {kRows - 2, kRows - 1});
  EXPECT_TENSOR(big.select(1, kCols - 1).index({tensor({kRows - 1, 0})}), {2}, {kRows - 1, 0});
  EXPECT_TENSOR(big.narrow(0, kRows - 1, 1).sum(1), {1}, {double(kRows - 1) * kCols});
  EXPECT_TENSOR(by_column().narrow(0, kRows - 1, 1).amax(1), {1}, {kCols - 1});
  EXPECT_TENSOR(by_column().narrow(0, kRows - 1, 1).argmax(1), {1}, {kCols - 1});
}

TEST(Int64Indexing, ElementwiseOverAWholeView) {
  // by_column().eq(0) is true in column 0 only; flat index 2^31 is row 32,768, column 0.
  const Tensor hit = by_column().eq(0);
  ASSERT_EQ(hit.numel(), 2147549184);
  ASSERT_TRUE(hit.is_contiguous());
  const bool* p = hit.data_ptr<bool>();
  EXPECT_TRUE(p[int64_t{1} << 31]);
  EXPECT_FALSE(p[(int64_t{1} << 31) + 1]);
  EXPECT_FALSE(p[(int64_t{1} << 31) - 1]);
  EXPECT_TRUE(p[hit.numel() - kCols]);
  EXPECT_FALSE(p[hit.numel() - 1]);
  EXPECT_TENSOR(hit.narrow(0, kRows - 1, 1).sum(), {}, {1});
  EXPECT_TENSOR(hit.select(1, 0).narrow(0, kRows - 3, 3), {3}, {1, 1, 1});
}

// ---- extreme logits ----------------------------------------------------------------------------------

class Extreme : public ::testing::TestWithParam<ScalarType> {};

TEST_P(Extreme, SoftmaxAndLogSoftmax) {
  const Tensor logits = tensor({{1e4, -1e4, 0.0}, {-1e4, -1e4, 1e4}}, GetParam()).requires_grad_();
  const Tensor p = logits.softmax(1);
  EXPECT_TENSOR(p, {2, 3}, {1, 0, 0, 0, 0, 1});
  const Tensor lp = logits.log_softmax(1);
  EXPECT_TENSOR(lp, {2, 3}, {0, -20000, -10000, -20000, -20000, 0});
  (p * tensor({1.0, 2.0, 3.0}, GetParam())).sum().backward();
  EXPECT_TENSOR(logits.grad(), {2, 3}, {0, 0, 0, 0, 0, 0});
  logits.mutable_grad() = Tensor();
  lp.sum().backward();
  EXPECT_TENSOR(logits.grad(), {2, 3}, {-2, 1, 1, 1, 1, -2});
  const Tensor tied = tensor({-1e4, -1e4}, GetParam());
  EXPECT_TENSOR(tied.softmax(0), {2}, {0.5, 0.5});
  EXPECT_TENSOR(tied.log_softmax(0), {2}, {-std::log(2.0), -std::log(2.0)}, 1e-6);
}

TEST_P(Extreme, CrossEntropy) {
  const Tensor logits = tensor({{1e4, -1e4, 0.0}, {-1e4, -1e4, 1e4}}, GetParam()).requires_grad_();
  const Tensor loss = F::cross_entropy(logits, tensor({1, 0}));
  EXPECT_TENSOR(loss, {}, {20000});
  loss.backward();
  EXPECT_TENSOR(logits.grad(), {2, 3}, {0.5, -0.5, 0, -0.5, 0, 0.5});
  // Class probabilities as targets, and label smoothing.
  const Tensor soft = tensor({{0.0, 1.0, 0.0}, {0.5, 0.0, 0.5}}, GetParam());
  EXPECT_TENSOR(F::cross_entropy(logits, soft), {}, {15000});
  const Tensor smoothed = F::cross_entropy(logits, tensor({1, 0}), F::CrossEntropyFuncOptions().label_smoothing(0.3));
  EXPECT_EQ(count_finite(smoothed), 1);
  logits.mutable_grad() = Tensor();
  smoothed.backward();
  EXPECT_EQ(count_finite(logits.grad()), 6);
}

TEST_P(Extreme, BinaryCrossEntropyWithLogits) {
  const Tensor z = tensor({1e4, -1e4, 0.0, 50.0, -50.0}, GetParam()).requires_grad_();
  const Tensor t = tensor({0.0, 1.0, 1.0, 0.0, 1.0}, GetParam());
  const Tensor loss = F::binary_cross_entropy_with_logits(z, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(kNone));
  EXPECT_TENSOR(loss, {5}, {1e4, 1e4, std::log(2.0), 50, 50}, 1e-4);
  loss.sum().backward();
  EXPECT_TENSOR(z.grad(), {5}, {1, -1, -0.5, 1, -1});
}

TEST_P(Extreme, BinaryCrossEntropyOfSaturatedProbabilities) {
  // sigmoid(±1e4) is exactly 1 or 0: libtorch clamps log() at -100 and keeps the
  // gradient finite by bounding the denominator below by 1e-12.
  const Tensor p = tensor({1e4, -1e4, 0.0, 50.0, -50.0}, GetParam()).sigmoid().detach().requires_grad_();
  const Tensor t = tensor({0.0, 1.0, 1.0, 0.0, 1.0}, GetParam());
  const Tensor loss = F::binary_cross_entropy(p, t, F::BinaryCrossEntropyFuncOptions().reduction(kNone));
  // sigmoid(50) rounds to 1 in float32 and float64 alike.
  EXPECT_TENSOR(loss, {5}, {100, 100, std::log(2.0), 100, 50}, 1e-4);
  loss.sum().backward();
  EXPECT_EQ(count_finite(p.grad()), 5);
  EXPECT_TENSOR(p.grad().slice(0, 0, 3), {3}, {1e12, -1e12, -2}, 1e6);
}

TEST_P(Extreme, LogSumExp) {
  const Tensor x = tensor({1e4, 1e4}, GetParam()).requires_grad_();
  const Tensor y = x.logsumexp(0);
  EXPECT_TENSOR(y, {}, {1e4 + std::log(2.0)}, 1e-3);
  y.backward();
  EXPECT_TENSOR(x.grad(), {2}, {0.5, 0.5}, 1e-3);
  EXPECT_TENSOR(tensor({-1e4, -1e4}, GetParam()).logsumexp(0), {}, {-1e4 + std::log(2.0)}, 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Numerics, Extreme, ::testing::Values(kFloat, kDouble),
                         [](const auto& info) { return std::string(to_string(info.param)); });
