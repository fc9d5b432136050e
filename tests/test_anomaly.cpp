// Anomaly mode: off by default and then recording nothing; on, a NaN or Inf made by
// a backward node raises an error naming the node, its forward op, the input, and
// the chain of forward ops that led there.
#include <cmath>

#include "autograd/anomaly.h"
#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;

TEST(AnomalyMode, OffByDefaultRecordsNothingAndLetsNaNThrough) {
  EXPECT_FALSE(ag::AnomalyMode::is_enabled());
  Tensor x = tensor(-1.0, requires_grad());
  Tensor y = x.sqrt();
  EXPECT_EQ(y.grad_fn()->anomaly_trace(), nullptr);
  y.backward();
  EXPECT_TRUE(std::isnan(x.grad().item<double>()));
}

TEST(AnomalyMode, SqrtOfMinusOneNamesTheNodeAndOp) {
  ag::DetectAnomalyGuard guard;
  Tensor x = tensor(-1.0, requires_grad());
  Tensor y = x.sqrt();  // sqrt(-1) = nan, so its backward g / (2 * nan) is nan
  EXPECT_THROW_MSG(y.backward(),
                   "Function 'SqrtBackward0' returned nan or inf values in its 0th output, the gradient for input 0 "
                   "of the forward op sqrt. The forward operations that led there: sqrt.");
}

TEST(AnomalyMode, LogOfZeroShowsTheChainOfForwardOps) {
  ag::DetectAnomalyGuard guard;
  Tensor x = tensor(1.0, requires_grad());
  Tensor z = ((x * 2) - 2).log().exp();  // log(0) = -inf, exp(-inf) = 0, then 0 / 0 in LogBackward0
  EXPECT_EQ(*z.grad_fn()->anomaly_trace(), "mul -> sub -> log -> exp");
  EXPECT_THROW_MSG(z.backward(),
                   "Function 'LogBackward0' returned nan or inf values in its 0th output, the gradient for input 0 of "
                   "the forward op log. The forward operations that led there: mul -> sub -> log.");
}

TEST(AnomalyMode, NamesTheInputIndex) {
  ag::DetectAnomalyGuard guard;
  Tensor a = tensor(1.0), b = tensor(0.0, requires_grad());
  Tensor y = a / b;  // d/db = -a / b^2 = -inf for input 1; a needs no gradient
  EXPECT_THROW_MSG(y.backward(), "Function 'DivBackward0' returned nan or inf values in its 1th output, the gradient "
                                 "for input 1 of the forward op div.");
}

TEST(AnomalyMode, TraceFollowsTheMostRecentInput) {
  ag::DetectAnomalyGuard guard;
  Tensor x = tensor(1.0, requires_grad());
  Tensor early = x.exp();
  Tensor late = x.tanh().sigmoid();
  EXPECT_EQ(*(early * late).grad_fn()->anomaly_trace(), "tanh -> sigmoid -> mul");
  EXPECT_EQ(*(x + 1).grad_fn()->anomaly_trace(), "add");
}

TEST(AnomalyMode, TraceKeepsTheLastSixteenOps) {
  ag::DetectAnomalyGuard guard;
  Tensor y = tensor(1.0, requires_grad());
  for (int i = 0; i < 40; ++i) y = y * 1.0;
  y = y.exp();
  std::string expected = "...";
  for (int i = 0; i < 15; ++i) expected += " -> mul";
  expected += " -> exp";
  EXPECT_EQ(*y.grad_fn()->anomaly_trace(), expected);
}

TEST(AnomalyMode, GuardRestoresThePreviousMode) {
  {
    ag::DetectAnomalyGuard guard;
    EXPECT_TRUE(ag::AnomalyMode::is_enabled());
  }
  EXPECT_FALSE(ag::AnomalyMode::is_enabled());
  ag::AnomalyMode::set_enabled(true);
  Tensor x = tensor(2.0, requires_grad());
  EXPECT_EQ(*(x * x).grad_fn()->anomaly_trace(), "mul");
  ag::AnomalyMode::set_enabled(false);
  EXPECT_EQ((x * x).grad_fn()->anomaly_trace(), nullptr);
}

TEST(AnomalyMode, ForwardOpNames) {
  EXPECT_EQ(ag::forward_op_name("LogSoftmaxBackward0"), "log_softmax");
  EXPECT_EQ(ag::forward_op_name("MmBackward0"), "mm");
  EXPECT_EQ(ag::forward_op_name("ClampBackward1"), "clamp");
  EXPECT_EQ(ag::forward_op_name("MaxPool2DWithIndicesBackward0"), "max_pool2d_with_indices");
  EXPECT_EQ(ag::forward_op_name("CopyBackwards"), "copy");
  EXPECT_EQ(ag::forward_op_name("SliceBackwardBackward0"), "slice_backward");
  EXPECT_EQ(ag::forward_op_name("NativeLayerNormBackward0"), "native_layer_norm");
}
