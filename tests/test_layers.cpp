// The layers of tg::nn::functional: conv2d, max_pool2d, layer_norm, dropout and
// embedding — hand-computed values, libtorch's shapes and error texts, gradients
// against finite differences, and double backward.
#include <cmath>
#include <limits>
#include <utility>

#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;
namespace ag = tg::autograd;

namespace {

Tensor grid3x3() { return arange(9.0, kDouble).view({1, 1, 3, 3}); }
Tensor kernel2x2() { return tensor({1.0, 2.0, 3.0, 4.0}, kDouble).view({1, 1, 2, 2}); }
Tensor leaf(IntArrayRef shape, uint64_t seed) {
  manual_seed(seed);
  return randn(shape, kDouble).requires_grad_();
}

}  // namespace

// ---- conv2d ---------------------------------------------------------------------------------
TEST(Conv2d, TwoByTwoKernelOverThreeByThree) {
  // out[i][j] = sum_ab w[a][b] * x[i+a][j+b]; e.g. out[0][0] = 0*1 + 1*2 + 3*3 + 4*4.
  EXPECT_TENSOR(F::conv2d(grid3x3(), kernel2x2()), {1, 1, 2, 2}, {27, 37, 57, 67});
}

TEST(Conv2d, BiasIsAddedPerChannel) {
  Tensor w = cat({kernel2x2(), -kernel2x2()}, 0);
  Tensor y = F::conv2d(grid3x3(), w, F::Conv2dFuncOptions().bias(tensor({10.0, 100.0}, kDouble)));
  EXPECT_TENSOR(y, {1, 2, 2, 2}, {37, 47, 67, 77, 73, 63, 43, 33});
}

TEST(Conv2d, StrideAndPadding) {
  // Padded 5x5, windows at rows/cols {0, 2}: only the bottom-right window lies inside.
  Tensor y = F::conv2d(grid3x3(), kernel2x2(), F::Conv2dFuncOptions().stride(2).padding(1));
  EXPECT_TENSOR(y, {1, 1, 2, 2}, {0, 11, 30, 67});
}

TEST(Conv2d, AsymmetricStrideAndPadding) {
  Tensor y = F::conv2d(grid3x3(), kernel2x2(), F::Conv2dFuncOptions().stride({1, 2}).padding({0, 1}));
  // Columns padded by one and stepped by two: the left windows see only column 0
  // (through w[.][1]), the right ones columns 1 and 2.
  EXPECT_TENSOR(y, {1, 1, 2, 2}, {2 * 0 + 4 * 3, 37, 2 * 3 + 4 * 6, 67});
}

TEST(Conv2d, Dilation) {
  // A 2x2 kernel with dilation 2 reads the four corners of the 3x3 input.
  Tensor y = F::conv2d(grid3x3(), kernel2x2(), F::Conv2dFuncOptions().dilation(2));
  EXPECT_TENSOR(y, {1, 1, 1, 1}, {1 * 0 + 2 * 2 + 3 * 6 + 4 * 8});
}

TEST(Conv2d, GroupsConvolveChannelsSeparately) {
  Tensor x = arange(1.0, 9.0, kDouble).view({1, 2, 2, 2});
  Tensor w = tensor({2.0, 3.0}, kDouble).view({2, 1, 1, 1});
  EXPECT_TENSOR(F::conv2d(x, w, F::Conv2dFuncOptions().groups(2)), {1, 2, 2, 2}, {2, 4, 6, 8, 15, 18, 21, 24});
  // Two groups of two input channels and two output channels each.
  Tensor x4 = arange(1.0, 5.0, kDouble).view({1, 4, 1, 1});
  Tensor w4 = tensor({1.0, 1.0, 1.0, -1.0, 2.0, 0.0, 0.0, 2.0}, kDouble).view({4, 2, 1, 1});
  EXPECT_TENSOR(F::conv2d(x4, w4, F::Conv2dFuncOptions().groups(2)), {1, 4, 1, 1}, {3, -1, 6, 8});
}

TEST(Conv2d, SamePaddingPadsTheOddElementAtTheEnd) {
  // Total padding 1 for a 2x2 kernel: none before, one row/column after.
  Tensor y = F::conv2d(grid3x3(), kernel2x2(), F::Conv2dFuncOptions().padding(kSame));
  EXPECT_TENSOR(y, {1, 1, 3, 3}, {27, 37, 17, 57, 67, 29, 20, 23, 8});
  Tensor v = F::conv2d(grid3x3(), kernel2x2(), F::Conv2dFuncOptions().padding(kValid));
  EXPECT_TENSOR(v, {1, 1, 2, 2}, {27, 37, 57, 67});
  Tensor d = F::conv2d(grid3x3(), ones({1, 1, 2, 2}, kDouble), F::Conv2dFuncOptions().padding(kSame).dilation(2));
  // Total padding 2 = one on each side: the four corners of each 3x3 neighbourhood.
  EXPECT_TENSOR(d, {1, 1, 3, 3}, {4, 3 + 5, 4, 1 + 7, 0 + 2 + 6 + 8, 1 + 7, 4, 3 + 5, 4});
}

TEST(Conv2d, UnbatchedInputGivesUnbatchedOutput) {
  Tensor x = grid3x3().view({1, 3, 3}).requires_grad_();
  Tensor y = F::conv2d(x, kernel2x2());
  EXPECT_TENSOR(y, {1, 2, 2}, {27, 37, 57, 67});
  EXPECT_EQ(y.grad_fn()->name(), "SqueezeBackward1");
}

TEST(Conv2d, OneByOneKernelIsAChannelMatmul) {
  Tensor x = leaf({2, 3, 4, 5}, 1).detach();
  Tensor w = leaf({6, 3, 1, 1}, 2).detach();
  Tensor expected = matmul(w.view({6, 3}), x.view({2, 3, 20})).view({2, 6, 4, 5});
  EXPECT_TRUE(allclose(F::conv2d(x, w), expected, 1e-12, 1e-12));
}

TEST(Conv2d, EmptyBatchAndEmptyChannels) {
  Tensor y = F::conv2d(zeros({0, 3, 5, 5}), ones({4, 3, 2, 2}));
  EXPECT_EQ(y.sizes(), IntArrayRef({0, 4, 4, 4}));
  Tensor z = F::conv2d(zeros({1, 0, 3, 3}), ones({2, 0, 2, 2}), F::Conv2dFuncOptions().bias(tensor({1.0f, 2.0f})));
  EXPECT_TENSOR(z, {1, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2});
}

TEST(Conv2d, NonContiguousInput) {
  Tensor x = leaf({2, 5, 5, 3}, 3).detach();
  Tensor w = leaf({4, 3, 3, 3}, 4).detach();
  Tensor a = F::conv2d(x.permute({0, 3, 1, 2}), w);
  Tensor b = F::conv2d(x.permute({0, 3, 1, 2}).contiguous(), w);
  EXPECT_TRUE(equal(a, b));
}

TEST(Conv2d, BackwardByHand) {
  Tensor x = grid3x3().requires_grad_();
  Tensor w = kernel2x2().requires_grad_();
  Tensor b = zeros({1}, kDouble).requires_grad_();
  Tensor y = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b));
  EXPECT_EQ(y.grad_fn()->name(), "ConvolutionBackward0");
  y.sum().backward();
  // Each pixel collects the weights of the windows covering it.
  EXPECT_TENSOR(x.grad(), {1, 1, 3, 3}, {1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Each weight collects the pixels it meets: the sum of a 2x2 block.
  EXPECT_TENSOR(w.grad(), {1, 1, 2, 2}, {8, 12, 20, 24});
  EXPECT_TENSOR(b.grad(), {1}, {4});
}

TEST(Conv2d, OnlyTheNeededGradients) {
  Tensor x = grid3x3();
  Tensor w = kernel2x2().requires_grad_();
  F::conv2d(x, w).sum().backward();
  EXPECT_TENSOR(w.grad(), {1, 1, 2, 2}, {8, 12, 20, 24});
  EXPECT_FALSE(x.grad().defined());
}

TEST(Conv2d, Errors) {
  Tensor w = ones({4, 3, 2, 2});
  EXPECT_THROW_MSG(F::conv2d(ones({5, 5}), w),
                   "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]");
  EXPECT_THROW_MSG(F::conv2d(ones({1, 2, 3, 5, 5}), w),
                   "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [1, 2, 3, 5, 5]");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 4, 5, 5}), w),
                   "Given groups=1, weight of size [4, 3, 2, 2], expected input[2, 4, 5, 5] to have 3 channels, but "
                   "got 4 channels instead");
  EXPECT_THROW_MSG(F::conv2d(ones({4, 5, 5}), w),
                   "Given groups=1, weight of size [4, 3, 2, 2], expected input[1, 4, 5, 5] to have 3 channels, but "
                   "got 4 channels instead");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().groups(2)),
                   "Given groups=2, weight of size [4, 3, 2, 2], expected input[2, 3, 5, 5] to have 6 channels, but "
                   "got 3 channels instead");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 4, 5, 5}), ones({3, 2, 2, 2}), F::Conv2dFuncOptions().groups(2)),
                   "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
                   "[[3, 2, 2, 2]] instead");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 4, 5, 5}), w, F::Conv2dFuncOptions().groups(5)),
                   "Given groups=5, expected weight to be at least 5 at dimension 0, but got weight of size "
                   "[4, 3, 2, 2] instead");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), ones({4, 3, 6, 6})),
                   "Calculated padded input size per channel: (5 x 5). Kernel size: (6 x 6). Kernel size can't be "
                   "greater than actual input size");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), ones({4, 3, 3, 3}), F::Conv2dFuncOptions().dilation(3)),
                   "Calculated padded input size per channel: (5 x 5). Kernel size: (7 x 7).");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().bias(ones({3}))),
                   "Given weight of size [4, 3, 2, 2], expected bias to be 1-dimensional with 4 elements, but got "
                   "bias of size [3] instead");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), ones({4, 3, 2})),
                   "expected stride to be a single integer value or a list of 1 values to match the convolution "
                   "dimensions, but got stride=[1, 1]");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), ones({4, 3})), "weight should have at least three dimensions");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().stride(0)),
                   "non-positive stride is not supported");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().padding(-1)),
                   "negative padding is not supported");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().dilation(0)),
                   "non-positive dilation is not supported");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().groups(0)),
                   "non-positive groups is not supported");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().stride(2).padding(kSame)),
                   "padding='same' is not supported for strided convolutions");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), ones({4, 3, 2, 2}, kDouble)),
                   "Input type (CPUFloatType) and weight type (CPUDoubleType) should be the same or input should be a "
                   "MKLDNN tensor and weight is a dense tensor");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}, kDouble), w), "expected scalar type Double but found Float");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}), w, F::Conv2dFuncOptions().bias(ones({4}, kDouble))),
                   "Input type (float) and bias type (double) should be the same");
  // Before every other check, as libtorch's (numeric padding).
  EXPECT_THROW_MSG(F::conv2d(ones({4, 4}, kDouble), w, F::Conv2dFuncOptions().bias(ones({4}))),
                   "Input type (double) and bias type (float) should be the same");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 5, 5, 5}), w, F::Conv2dFuncOptions().bias(ones({4}, kDouble))),
                   "Input type (float) and bias type (double) should be the same");
  EXPECT_THROW_MSG(F::conv2d(ones({4, 4}, kDouble), w, F::Conv2dFuncOptions().bias(ones({4})).padding(kValid)),
                   "Expected 3D (unbatched) or 4D (batched) input to conv2d");
  EXPECT_THROW_MSG(F::conv2d(ones({2, 3, 5, 5}, kLong), ones({4, 3, 2, 2}, kLong)),
                   "\"conv2d\" not implemented for 'Long'");
}

// Each thread allocates its own column buffer inside the parallel region: a buffer
// that cannot be allocated there (2.6e14 bytes here, beyond any address space)
// reaches the caller as the exception, not std::terminate, with one thread or two.
// (AddressSanitizer aborts on such a size instead.)
TEST(Conv2d, AColumnBufferTooLargeToAllocateRaises) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer aborts on allocations beyond its maximum size";
#else
  const Tensor x = ones({2, 4096, 1, 1});
  const Tensor w = ones({1, 4096, 31, 31});
  const int before = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    EXPECT_THROW_MSG(F::conv2d(x, w, F::Conv2dFuncOptions().padding(2063)),
                     "DefaultCPUAllocator: not enough memory: you tried to allocate 281474976710656 bytes.");
  }
  set_num_threads(before);
#endif
}

TEST(Conv2d, GradcheckOverConfigurations) {
  struct Case {
    F::Conv2dFuncOptions options;
    int64_t in_channels, out_channels, kh, kw;
  };
  const std::vector<Case> cases = {
      {F::Conv2dFuncOptions(), 2, 3, 2, 2},
      {F::Conv2dFuncOptions().stride(2).padding(1), 2, 3, 3, 3},
      {F::Conv2dFuncOptions().stride({2, 1}).padding({1, 0}).dilation({1, 2}), 2, 2, 2, 3},
      {F::Conv2dFuncOptions().groups(2).padding(1), 4, 2, 3, 2},
      {F::Conv2dFuncOptions().padding(kSame), 2, 2, 2, 3},
      {F::Conv2dFuncOptions().padding(kSame).dilation(2), 1, 2, 2, 2},
      {F::Conv2dFuncOptions(), 3, 2, 1, 1},
      // More output channels than column rows per group: the weight gradient is
      // computed transposed (weight_grad_transposed in src/ops/conv.cpp).
      {F::Conv2dFuncOptions().padding(1), 1, 5, 2, 2},
      {F::Conv2dFuncOptions().groups(2), 2, 10, 2, 2},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const int64_t groups = c.options.groups();
    Tensor x = leaf({2, c.in_channels, 5, 6}, 10 + i);
    Tensor w = leaf({c.out_channels, c.in_channels / groups, c.kh, c.kw}, 20 + i);
    Tensor b = leaf({c.out_channels}, 30 + i);
    auto fn = [&](const std::vector<Tensor>& in) {
      return F::conv2d(in[0], in[1], F::Conv2dFuncOptions(c.options).bias(in[2]));
    };
    auto r = ag::gradcheck(fn, {x, w, b});
    EXPECT_TRUE(r) << "case " << i << ": " << r.message;
    auto rr = ag::gradgradcheck(fn, {x, w, b});
    EXPECT_TRUE(rr) << "case " << i << ": " << rr.message;
    // gradgradcheck differentiates the create_graph backward; it must equal the fused one.
    auto grads = [&](bool create_graph) {
      Tensor y = fn({x, w, b});
      return ag::grad({(y * y).sum()}, {x, w, b}, {}, nullopt, create_graph);
    };
    auto fused = grads(false), graph = grads(true);
    for (size_t k = 0; k < 3; ++k) EXPECT_TRUE(allclose(fused[k], graph[k], 1e-12, 1e-12)) << "case " << i;
  }
}

TEST(Conv2d, DoubleBackwardByHand) {
  // y = conv(x, w); L = sum(y^2); dL/dx = conv_transpose(2y, w). Differentiating
  // sum(dL/dx) once more w.r.t. w: concrete numbers from the 1-D analogue below.
  Tensor x = tensor({1.0, 2.0, 3.0}, kDouble).view({1, 1, 1, 3}).requires_grad_();
  Tensor w = tensor({1.0, -1.0}, kDouble).view({1, 1, 1, 2}).requires_grad_();
  Tensor y = F::conv2d(x, w);  // [x0 - x1, x1 - x2] = [-1, -1]
  Tensor gx = ag::grad({(y * y).sum()}, {x}, {}, nullopt, true)[0];
  // gx = 2 * [y0 w0, y0 w1 + y1 w0, y1 w1] = [-2, 0, 2].
  EXPECT_TENSOR(gx, {1, 1, 1, 3}, {-2, 0, 2});
  EXPECT_EQ(gx.grad_fn()->name(), "Col2ImBackward0");
  // d(sum gx)/dw: sum gx = 2 (w0 + w1)(y0 + y1), y0 + y1 = w0 (x0 + x1) + w1 (x1 + x2).
  Tensor gw = ag::grad({gx.sum()}, {w})[0];
  // = 2 (y0 + y1) + 2 (w0 + w1) (x0 + x1 | x1 + x2) = -4 + 0 = [-4, -4].
  EXPECT_TENSOR(gw, {1, 1, 1, 2}, {-4, -4});
}

// Through im2col and GEMMs (3 channels, or one image), and through oneDNN's
// direct convolution (16 channels in and out, Note [Direct convolution]).
TEST(Conv2d, ResultsDoNotDependOnThreadCount) {
  for (auto [batch, channels] : {std::pair<int64_t, int64_t>{9, 3}, {9, 16}, {1, 16}}) {
    SCOPED_TRACE(::testing::Message() << batch << " images of " << channels << " channels");
    Tensor x = leaf({batch, channels, 8, 8}, 40).detach().to(kFloat).requires_grad_();
    Tensor w = leaf({16, channels, 3, 3}, 41).detach().to(kFloat).requires_grad_();
    auto run = [&](int threads) {
      set_num_threads(threads);
      Tensor y = F::conv2d(x, w, F::Conv2dFuncOptions().padding(1));
      auto g = ag::grad({(y * y).sum()}, {x, w});
      return std::vector<Tensor>{y, g[0], g[1]};
    };
    const int before = get_num_threads();
    auto one = run(1), two = run(2);
    set_num_threads(before);
    for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(equal(one[i], two[i])) << "output " << i;
  }
}

// ---- max_pool2d -------------------------------------------------------------------------------
TEST(MaxPool2d, Float2x2RowsOfAnyLength) {
  // The float32 2x2 kernel handles sixteen outputs at a time with masked loads:
  // rows of 1 to 17 outputs, the last ending at the end of the tensor's memory.
  for (int64_t out_w : {1, 7, 14, 16, 17}) {
    SCOPED_TRACE(out_w);
    const int64_t w = 2 * out_w;
    // Increasing values: the bottom-right of each window wins; decreasing: the top-left.
    Tensor up = arange(2 * w, kFloat).view({1, 1, 2, w});
    Tensor down = -up;
    Tensor y_up = F::max_pool2d(up, F::MaxPool2dFuncOptions(2));
    Tensor y_down = F::max_pool2d(down, F::MaxPool2dFuncOptions(2));
    ASSERT_EQ(y_up.sizes().vec(), (std::vector<int64_t>{1, 1, 1, out_w}));
    for (int64_t j = 0; j < out_w; ++j) {
      EXPECT_EQ(y_up[0][0][0][j].item<float>(), static_cast<float>(w + 2 * j + 1));
      EXPECT_EQ(y_down[0][0][0][j].item<float>(), -static_cast<float>(2 * j));
    }
  }
}

TEST(MaxPool2d, TiesTakeTheFirstAndNaNPropagates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({1.0, 3.0, 3.0, 2.0, 3.0, 0.0, nan, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, kDouble)
                 .view({1, 1, 4, 4})
                 .requires_grad_();
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(2));
  EXPECT_EQ(y.grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
  EXPECT_EQ(y[0][0][0][0].item<double>(), 3.0);
  EXPECT_TRUE(std::isnan(y[0][0][0][1].item<double>()));
  EXPECT_EQ(y[0][0][1][0].item<double>(), 0.0);
  y.backward(ones_like(y));
  EXPECT_TENSOR(x.grad(), {1, 1, 4, 4}, {0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0});
}

TEST(MaxPool2d, CeilMode) {
  Tensor x = arange(25.0, kDouble).view({1, 1, 5, 5});
  EXPECT_TENSOR(F::max_pool2d(x, F::MaxPool2dFuncOptions(2)), {1, 1, 2, 2}, {6, 8, 16, 18});
  EXPECT_TENSOR(F::max_pool2d(x, F::MaxPool2dFuncOptions(2).ceil_mode(true)), {1, 1, 3, 3},
                {6, 8, 9, 16, 18, 19, 21, 23, 24});
  // The last window would start in the right padding: dropped.
  Tensor x4 = arange(16.0, kDouble).view({1, 1, 4, 4});
  EXPECT_TENSOR(F::max_pool2d(x4, F::MaxPool2dFuncOptions(2).stride(3).padding(1).ceil_mode(true)), {1, 1, 2, 2},
                {0, 3, 12, 15});
}

TEST(MaxPool2d, PaddingStrideDilation) {
  Tensor x = arange(16.0, kDouble).view({1, 1, 4, 4});
  EXPECT_TENSOR(F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1)), {1, 1, 2, 2}, {5, 7, 13, 15});
  EXPECT_TENSOR(F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(1).dilation(2)), {1, 1, 2, 2},
                {10, 11, 14, 15});
  EXPECT_TENSOR(F::max_pool2d(x, F::MaxPool2dFuncOptions({1, 2}).stride({2, 1})), {1, 1, 2, 3},
                {1, 2, 3, 9, 10, 11});
}

TEST(MaxPool2d, OverlappingWindowsAccumulate) {
  Tensor x = tensor({0.0, 0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0}, kDouble).view({1, 1, 3, 3}).requires_grad_();
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(1));
  EXPECT_TENSOR(y, {1, 1, 2, 2}, {9, 9, 9, 9});
  y.sum().backward();
  EXPECT_TENSOR(x.grad(), {1, 1, 3, 3}, {0, 0, 0, 0, 4, 0, 0, 0, 0});
}

TEST(MaxPool2d, UnbatchedAndBatched) {
  Tensor x = arange(32.0, kDouble).view({2, 4, 4});
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(2));
  EXPECT_TENSOR(y, {2, 2, 2}, {5, 7, 13, 15, 21, 23, 29, 31});
  EXPECT_TRUE(equal(F::max_pool2d(x.view({1, 2, 4, 4}), F::MaxPool2dFuncOptions(2)), y.view({1, 2, 2, 2})));
  EXPECT_EQ(F::max_pool2d(zeros({0, 1, 5, 5}), F::MaxPool2dFuncOptions(2)).sizes(), IntArrayRef({0, 1, 2, 2}));
}

TEST(MaxPool2d, WindowsOfMinusInfinity) {
  Tensor x = full({1, 1, 2, 2}, -std::numeric_limits<double>::infinity(), kDouble).requires_grad_();
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(1).padding(1));
  EXPECT_TRUE(equal(y, x.detach()));
  y.sum().backward();
  // The first element of each window (in the image) receives the gradient.
  EXPECT_TENSOR(x.grad(), {1, 1, 2, 2}, {4, 0, 0, 0});
}

TEST(MaxPool2d, WindowWithNoInputPixel) {
  // Dilation 3 with padding 1 over a 2x2 input: the single window reads rows and
  // columns -1 and 2, none of them inside (libtorch writes out of bounds here).
  Tensor x = arange(4.0, kDouble).view({1, 1, 2, 2}).requires_grad_();
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(1).padding(1).dilation(3));
  EXPECT_TENSOR(y, {1, 1, 1, 1}, {-std::numeric_limits<double>::infinity()});
  y.sum().backward();
  EXPECT_TENSOR(x.grad(), {1, 1, 2, 2}, {0, 0, 0, 0});
}

TEST(MaxPool2d, Errors) {
  auto O = [](int64_t k) { return F::MaxPool2dFuncOptions(k); };
  EXPECT_THROW_MSG(F::max_pool2d(ones({5, 5}), O(2)), "non-empty 3D or 4D (batch mode) tensor expected for input");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(2).padding(2)),
                   "pad should be at most half of kernel size, but got pad=2 and kernel_size=2");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(6)),
                   "Given input size: (1x5x5). Calculated output size: (1x0x0). Output size is too small");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(0)), "stride should not be zero");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(2).stride(-1)),
                   "stride should be greater than zero, but got dH: -1 dW: -1");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(-1)),
                   "kernel size should be greater than zero, but got kH: -1 kW: -1");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(2).dilation(0)),
                   "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}), O(2).padding(-1)), "pad must be non-negative, but got pad: -1");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 0, 5, 5}), O(2)),
                   "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                   "got:[1, 0, 5, 5]");
  EXPECT_THROW_MSG(F::max_pool2d(ones({0, 5, 5}), O(2)),
                   "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[0, 5, 5]");
  EXPECT_THROW_MSG(F::max_pool2d(ones({1, 1, 5, 5}, kLong), O(2)), "\"max_pool2d\" not implemented for 'Long'");
}

TEST(MaxPool2d, Gradcheck) {
  // Distinct values (a permutation) so that no window has a tie within eps.
  manual_seed(5);
  Tensor x = (randperm(2 * 3 * 6 * 5).to(kDouble) / 7.0).view({2, 3, 6, 5}).requires_grad_();
  const std::vector<F::MaxPool2dFuncOptions> options = {
      F::MaxPool2dFuncOptions(2),
      F::MaxPool2dFuncOptions(3).stride(1).padding(1),
      F::MaxPool2dFuncOptions({2, 3}).stride({2, 1}).dilation({2, 1}).ceil_mode(true),
  };
  for (size_t i = 0; i < options.size(); ++i) {
    auto fn = [&](const Tensor& in) { return F::max_pool2d(in, options[i]); };
    auto r = ag::gradcheck(fn, x);
    EXPECT_TRUE(r) << "case " << i << ": " << r.message;
    auto rr = ag::gradgradcheck(fn, x);
    EXPECT_TRUE(rr) << "case " << i << ": " << rr.message;
  }
}

TEST(MaxPool2d, DoubleBackward) {
  Tensor x = tensor({1.0, 5.0, 2.0, 3.0, 4.0, 0.0, 6.0, 7.0, 8.0}, kDouble).view({1, 1, 3, 3}).requires_grad_();
  Tensor y = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(1));
  EXPECT_TENSOR(y, {1, 1, 2, 2}, {5, 5, 7, 8});
  Tensor gx = ag::grad({(y * y).sum()}, {x}, {}, nullopt, true)[0];
  // 2y scattered to the argmaxes: x[0][1] twice, x[2][1] and x[2][2] once.
  EXPECT_TENSOR(gx, {1, 1, 3, 3}, {0, 20, 0, 0, 0, 0, 0, 14, 16});
  EXPECT_EQ(gx.grad_fn()->name(), "MaxPool2DWithIndicesBackwardBackward0");
  // sum(gx) = 4 x[0][1] + 2 x[2][1] + 2 x[2][2].
  Tensor ggx = ag::grad({gx.sum()}, {x})[0];
  EXPECT_TENSOR(ggx, {1, 1, 3, 3}, {0, 4, 0, 0, 0, 0, 0, 2, 2});
}

// ---- layer_norm ----------------------------------------------------------------------------------
TEST(LayerNorm, NormalisesTheLastDims) {
  Tensor x = tensor({{1.0, 2.0, 3.0, 4.0}, {2.0, 2.0, 2.0, 2.0}}, kDouble);
  // mean 2.5, biased variance 1.25.
  const double r = 1.0 / std::sqrt(1.25 + 1e-5);
  EXPECT_TENSOR(F::layer_norm(x, F::LayerNormFuncOptions({4})), {2, 4},
                {-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r, 0, 0, 0, 0}, 1e-12);
  Tensor y = F::layer_norm(x, F::LayerNormFuncOptions({2, 4}).eps(0.0));
  // Over all 8 values: mean 2.25, variance (sum of squared deviations 5.5) / 8.
  const double r2 = 1.0 / std::sqrt(5.5 / 8);
  EXPECT_TENSOR(y, {2, 4}, {-1.25 * r2, -0.25 * r2, 0.75 * r2, 1.75 * r2, -0.25 * r2, -0.25 * r2, -0.25 * r2,
                            -0.25 * r2}, 1e-12);
}

TEST(LayerNorm, WeightAndBias) {
  Tensor x = tensor({{1.0, 3.0}}, kDouble);
  Tensor y = F::layer_norm(x, F::LayerNormFuncOptions({2}).weight(tensor({2.0, 3.0}, kDouble))
                                  .bias(tensor({10.0, 20.0}, kDouble)).eps(0.0));
  EXPECT_TENSOR(y, {1, 2}, {8, 23}, 1e-12);
  Tensor z = F::layer_norm(x, F::LayerNormFuncOptions({2}).bias(tensor({10.0, 20.0}, kDouble)).eps(0.0));
  EXPECT_TENSOR(z, {1, 2}, {9, 21}, 1e-12);
}

TEST(LayerNorm, EpsIsInsideTheSquareRoot) {
  Tensor x = tensor({{0.0, 2.0}}, kDouble);  // variance 1
  EXPECT_TENSOR(F::layer_norm(x, F::LayerNormFuncOptions({2}).eps(3.0)), {1, 2}, {-0.5, 0.5}, 1e-12);
}

TEST(LayerNorm, BackwardByHand) {
  // x = (1, 3): mean 2, variance 1, rstd 1, xhat = (-1, 1), y = (-2, 3).
  Tensor x = tensor({{1.0, 3.0}}, kDouble).requires_grad_();
  Tensor w = tensor({2.0, 3.0}, kDouble).requires_grad_();
  Tensor b = tensor({0.0, 0.0}, kDouble).requires_grad_();
  Tensor y = F::layer_norm(x, F::LayerNormFuncOptions({2}).weight(w).bias(b).eps(0.0));
  EXPECT_EQ(y.grad_fn()->name(), "NativeLayerNormBackward0");
  (y * tensor({{1.0, 2.0}}, kDouble)).sum().backward();
  // g = (1, 2), gy = g * w = (2, 6), mean(gy) = 4, mean(gy * xhat) = 2:
  // dx = rstd * (gy - 4 - 2 * xhat) = (0, 0) (two values normalise to ±1 whatever they are).
  EXPECT_TENSOR(x.grad(), {1, 2}, {0, 0}, 1e-12);
  EXPECT_TENSOR(w.grad(), {2}, {-1, 2}, 1e-12);
  EXPECT_TENSOR(b.grad(), {2}, {1, 2}, 1e-12);
}

TEST(LayerNorm, GradcheckAndGradgradcheck) {
  Tensor x = leaf({3, 2, 4}, 50);
  Tensor w = leaf({2, 4}, 51);
  Tensor b = leaf({2, 4}, 52);
  auto fn = [](const std::vector<Tensor>& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({2, 4}).weight(in[1]).bias(in[2]));
  };
  auto r = ag::gradcheck(fn, {x, w, b});
  EXPECT_TRUE(r) << r.message;
  auto rr = ag::gradgradcheck(fn, {x, w, b});
  EXPECT_TRUE(rr) << rr.message;
  auto plain = [](const Tensor& in) { return F::layer_norm(in, F::LayerNormFuncOptions({4})); };
  EXPECT_TRUE(ag::gradcheck(plain, x));
  EXPECT_TRUE(ag::gradgradcheck(plain, x));
  // No leading dims: the weight gradient is not summed at all.
  Tensor x1 = leaf({5}, 53), w1 = leaf({5}, 54);
  auto one_row = [](const std::vector<Tensor>& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({5}).weight(in[1]));
  };
  EXPECT_TRUE(ag::gradcheck(one_row, {x1, w1}));
  EXPECT_TRUE(ag::gradgradcheck(one_row, {x1, w1}));
}

TEST(LayerNorm, FusedAndGraphBackwardsAgree) {
  Tensor x = leaf({4, 6}, 60), w = leaf({6}, 61);
  auto grads = [&](bool create_graph) {
    Tensor y = F::layer_norm(x, F::LayerNormFuncOptions({6}).weight(w));
    return ag::grad({(y * y * y).sum()}, {x, w}, {}, nullopt, create_graph);
  };
  auto fused = grads(false), graph = grads(true);
  EXPECT_TRUE(allclose(fused[0], graph[0], 1e-10, 1e-12));
  EXPECT_TRUE(allclose(fused[1], graph[1], 1e-10, 1e-12));
}

TEST(LayerNorm, Errors) {
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions({3})),
                   "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[2, 4]");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions({2, 3, 4})),
                   "Given normalized_shape=[2, 3, 4], expected input with shape [*, 2, 3, 4], but got input of "
                   "size[2, 4]");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions(std::vector<int64_t>{})),
                   "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, "
                   "but got normalized_shape = []");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions({4}).weight(ones({3}))),
                   "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and "
                   "normalized_shape = [4]");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions({4}).bias(ones({2, 2}))),
                   "Expected bias to be of same shape as normalized_shape, but got bias of shape [2, 2] and "
                   "normalized_shape = [4]");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}), F::LayerNormFuncOptions({4}).weight(ones({4}, kDouble))),
                   "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(F::layer_norm(ones({2, 4}, kLong), F::LayerNormFuncOptions({4})),
                   "\"LayerNormKernelImpl\" not implemented for 'Long'");
}

// ---- dropout ------------------------------------------------------------------------------------
TEST(Dropout, KeepsAndScalesOrZeroes) {
  Tensor x = arange(1.0, 1001.0, kDouble).requires_grad_();
  manual_seed(7);
  Tensor y = F::dropout(x, F::DropoutFuncOptions(0.25));
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  Tensor kept = y != 0;
  const double scale = 1.0 / 0.75;
  EXPECT_TRUE(allclose(where(kept, x * scale, 0), y.detach(), 1e-15, 0));
  const double fraction = kept.sum().item<int64_t>() / 1000.0;
  EXPECT_NEAR(fraction, 0.75, 0.05);
  y.sum().backward();
  EXPECT_TRUE(allclose(x.grad(), where(kept, scale, 0.0).to(kDouble), 1e-7, 0));
}

TEST(Dropout, SeedMakesTheMaskDeterministic) {
  Tensor x = ones({64});
  manual_seed(3);
  Tensor a = F::dropout(x);
  manual_seed(3);
  Tensor b = F::dropout(x);
  EXPECT_TRUE(equal(a, b));
  Tensor c = F::dropout(x);
  EXPECT_FALSE(equal(a, c));
  EXPECT_TRUE(equal(a * (a - 2), zeros({64})));  // every value is 0 or 2
}

TEST(Dropout, IdentityWhenNotTrainingOrPZero) {
  Tensor x = ones({3}).requires_grad_();
  EXPECT_TRUE(F::dropout(x, F::DropoutFuncOptions(0.5).training(false)).is_same(x));
  EXPECT_TRUE(F::dropout(x, F::DropoutFuncOptions(0.0)).is_same(x));
  Tensor l = ones({3}, kLong);
  EXPECT_TRUE(F::dropout(l, F::DropoutFuncOptions(0.5).training(false)).is_same(l));
}

TEST(Dropout, POneGivesZeros) {
  Tensor x = tensor({1.0, -2.0, 3.0}, kDouble).requires_grad_();
  Tensor y = F::dropout(x, F::DropoutFuncOptions(1.0));
  EXPECT_TENSOR(y, {3}, {0, 0, 0});
  EXPECT_TRUE(std::signbit(y[1].item<double>()));  // x * 0, as libtorch
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  y.sum().backward();
  EXPECT_TENSOR(x.grad(), {3}, {0, 0, 0});
}

TEST(Dropout, Inplace) {
  Tensor x = ones({100});
  manual_seed(11);
  Tensor y = F::dropout(x, F::DropoutFuncOptions(0.5).inplace(true));
  EXPECT_TRUE(y.is_same(x));
  EXPECT_TRUE(equal(x * (x - 2), zeros({100})));
  EXPECT_GT(x.sum().item<float>(), 0);
  Tensor leaf_x = ones({3}).requires_grad_();
  EXPECT_THROW_MSG(F::dropout(leaf_x, F::DropoutFuncOptions(0.5).inplace(true)),
                   "a leaf Variable that requires grad is being used in an in-place operation.");
}

TEST(Dropout, Errors) {
  EXPECT_THROW_MSG(F::dropout(ones({3}), F::DropoutFuncOptions(1.5)),
                   "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_THROW_MSG(F::dropout(ones({3}), F::DropoutFuncOptions(-0.1)),
                   "dropout probability has to be between 0 and 1, but got -0.1");
  EXPECT_THROW_MSG(F::dropout(ones({3}, kLong), F::DropoutFuncOptions(0.5)),
                   "result type Float can't be cast to the desired output type Long");
}

// ---- embedding ----------------------------------------------------------------------------------
TEST(Embedding, LooksUpRows) {
  Tensor w = arange(15.0, kDouble).view({5, 3}).requires_grad_();
  Tensor y = F::embedding(tensor({{0, 4}, {2, 0}}), w);
  EXPECT_TENSOR(y, {2, 2, 3}, {0, 1, 2, 12, 13, 14, 6, 7, 8, 0, 1, 2});
  y.sum().backward();
  EXPECT_TENSOR(w.grad(), {5, 3}, {2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1});
}

TEST(Embedding, NegativePaddingIdxCountsFromTheEnd) {
  Tensor w = ones({5, 3}, kDouble).requires_grad_();
  Tensor y = F::embedding(tensor({0, 4, 2}), w, F::EmbeddingFuncOptions().padding_idx(-1));
  EXPECT_EQ(y.grad_fn()->name(), "EmbeddingBackward0");
  y.sum().backward();
  EXPECT_TENSOR(w.grad(), {5, 3}, {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0});
  Tensor w2 = ones({5, 3}, kDouble).requires_grad_();
  F::embedding(tensor({0, 4, 0}), w2, F::EmbeddingFuncOptions().padding_idx(0)).sum().backward();
  EXPECT_TENSOR(w2.grad(), {5, 3}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
}

TEST(Embedding, Errors) {
  Tensor w = ones({5, 3});
  EXPECT_THROW_MSG(F::embedding(tensor({0}), w, F::EmbeddingFuncOptions().padding_idx(-6)),
                   "Padding_idx must be within num_embedding");
  EXPECT_THROW_MSG(F::embedding(tensor({0}), w, F::EmbeddingFuncOptions().padding_idx(5)),
                   "Padding_idx must be within num_embeddings");
  EXPECT_THROW_MSG(F::embedding(tensor({0}), ones({5})), "'weight' must be 2-D");
  EXPECT_THROW_MSG(F::embedding(tensor({5}), w), "index out of range in self");
}
