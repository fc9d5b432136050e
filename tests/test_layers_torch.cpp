// F::conv2d, max_pool2d, layer_norm, dropout and embedding against libtorch 1.13:
// forward values, first gradients, second gradients (conv2d, max_pool2d) and
// node names, from the same inputs. Tolerances are norm-wise — the largest
// difference relative to the largest reference value — 1e-5 in float32 and 1e-12
// in float64, as the two libraries sum in different orders (libtorch's float32
// convolution is oneDNN's direct kernel, ours too from 16 channels in and out,
// else im2col + GEMM).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tensorgrad/autograd.h"
#include "tensorgrad/nn/functional.h"
#include "tensorgrad/ops.h"

namespace F = tg::nn::functional;
namespace TF = torch::nn::functional;

namespace {

tg::Tensor to_tg(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous();
  const tg::ScalarType dtype = c.scalar_type() == torch::kFloat  ? tg::kFloat
                               : c.scalar_type() == torch::kLong ? tg::kLong
                                                                 : tg::kDouble;
  tg::Tensor out = tg::empty(c.sizes().vec(), dtype);
  std::memcpy(out.data_ptr(), c.data_ptr(), c.nbytes());
  return out;
}

torch::Tensor to_torch(const tg::Tensor& t) {
  tg::Tensor c = t.detach().to(tg::kDouble).contiguous();
  return torch::from_blob(c.data_ptr(), c.sizes().vec(), torch::kDouble).clone();
}

double tolerance(torch::ScalarType dtype) { return dtype == torch::kFloat ? 1e-5 : 1e-12; }

// max |a - b| <= rtol * max |b| (NaN must match NaN, infinities must match exactly).
::testing::AssertionResult close(const tg::Tensor& a, const torch::Tensor& b, double rtol) {
  if (a.sizes().vec() != b.sizes().vec())
    return ::testing::AssertionFailure() << "shape " << a.sizes() << " vs " << b.sizes();
  torch::Tensor ta = to_torch(a);
  torch::Tensor tb = b.detach().to(torch::kDouble);
  if (!torch::equal(ta.isnan(), tb.isnan())) return ::testing::AssertionFailure() << "NaN positions differ";
  torch::Tensor finite = tb.isfinite();
  if (!torch::equal(ta.masked_select(tb.isinf()), tb.masked_select(tb.isinf())))
    return ::testing::AssertionFailure() << "infinities differ";
  if (b.numel() == 0 || !finite.any().item<bool>()) return ::testing::AssertionSuccess();
  const double scale = tb.masked_select(finite).abs().max().item<double>();
  const double diff = (ta - tb).masked_select(finite).abs().max().item<double>();
  if (diff <= rtol * std::max(scale, 1e-30)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max difference " << diff << " vs scale " << scale << " (rtol " << rtol
                                       << ")";
}

torch::Tensor leaf(std::vector<int64_t> shape, torch::ScalarType dtype, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn(shape, torch::dtype(dtype)).requires_grad_();
}

tg::Tensor tg_leaf(const torch::Tensor& t) { return t.defined() ? to_tg(t).requires_grad_() : tg::Tensor(); }

struct ConvCase {
  std::string name;
  std::vector<int64_t> input, weight;
  TF::Conv2dFuncOptions torch_options;
  F::Conv2dFuncOptions tg_options;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"plain", {2, 3, 9, 8}, {4, 3, 3, 3}, TF::Conv2dFuncOptions(), F::Conv2dFuncOptions(), true},
      {"stride_padding", {3, 2, 11, 10}, {5, 2, 3, 2}, TF::Conv2dFuncOptions().stride({2, 3}).padding({1, 2}),
       F::Conv2dFuncOptions().stride({2, 3}).padding({1, 2}), true},
      {"dilation", {2, 3, 10, 10}, {2, 3, 3, 3}, TF::Conv2dFuncOptions().dilation({2, 3}).padding(1),
       F::Conv2dFuncOptions().dilation({2, 3}).padding(1), false},
      {"groups", {2, 6, 7, 7}, {9, 2, 3, 3}, TF::Conv2dFuncOptions().groups(3).padding(1),
       F::Conv2dFuncOptions().groups(3).padding(1), true},
      {"depthwise", {2, 4, 8, 8}, {4, 1, 3, 3}, TF::Conv2dFuncOptions().groups(4).stride(2),
       F::Conv2dFuncOptions().groups(4).stride(2), true},
      {"same_even_kernel", {2, 3, 7, 6}, {4, 3, 4, 2}, TF::Conv2dFuncOptions().padding(torch::kSame),
       F::Conv2dFuncOptions().padding(tg::kSame), true},
      {"same_dilated", {1, 2, 6, 6}, {3, 2, 3, 3}, TF::Conv2dFuncOptions().padding(torch::kSame).dilation(2),
       F::Conv2dFuncOptions().padding(tg::kSame).dilation(2), true},
      {"valid", {2, 3, 6, 6}, {4, 3, 2, 2}, TF::Conv2dFuncOptions().padding(torch::kValid),
       F::Conv2dFuncOptions().padding(tg::kValid), false},
      {"pointwise", {4, 8, 5, 5}, {6, 8, 1, 1}, TF::Conv2dFuncOptions(), F::Conv2dFuncOptions(), true},
      {"unbatched", {3, 8, 8}, {4, 3, 3, 3}, TF::Conv2dFuncOptions().padding(1), F::Conv2dFuncOptions().padding(1),
       true},
      {"batch_of_seventeen", {17, 3, 6, 6}, {4, 3, 3, 3}, TF::Conv2dFuncOptions().padding(1),
       F::Conv2dFuncOptions().padding(1), true},
      // Fewer column rows per group than output channels: the weight gradient is
      // computed transposed (weight_grad_transposed in src/ops/conv.cpp).
      {"first_layer", {9, 1, 12, 12}, {32, 1, 3, 3}, TF::Conv2dFuncOptions().padding(1),
       F::Conv2dFuncOptions().padding(1), true},
      {"grouped_first_layer", {2, 2, 6, 6}, {20, 1, 3, 3}, TF::Conv2dFuncOptions().groups(2),
       F::Conv2dFuncOptions().groups(2), true},
      // From 16 channels in and out, float32 runs oneDNN's direct convolution
      // (Note [Direct convolution]): nine images make blocks of one and two.
      {"direct", {9, 16, 9, 8}, {24, 16, 3, 3}, TF::Conv2dFuncOptions().padding(1),
       F::Conv2dFuncOptions().padding(1), true},
      // One image stays on the GEMM path, whose products the threads share.
      {"one_image_of_16_channels", {1, 16, 9, 8}, {24, 16, 3, 3}, TF::Conv2dFuncOptions().padding(1),
       F::Conv2dFuncOptions().padding(1), true},
      {"direct_strided_dilated", {2, 16, 10, 11}, {16, 16, 3, 2},
       TF::Conv2dFuncOptions().stride({2, 1}).dilation({1, 2}), F::Conv2dFuncOptions().stride({2, 1}).dilation({1, 2}),
       false},
      {"direct_same_even_kernel", {2, 16, 7, 6}, {16, 16, 4, 2}, TF::Conv2dFuncOptions().padding(torch::kSame),
       F::Conv2dFuncOptions().padding(tg::kSame), true},
  };
}

}  // namespace

TEST(LayersTorch, Conv2dForwardAndGradients) {
  for (torch::ScalarType dtype : {torch::kFloat, torch::kDouble}) {
    uint64_t seed = 100;
    for (const ConvCase& c : conv_cases()) {
      SCOPED_TRACE(c.name + (dtype == torch::kFloat ? " float32" : " float64"));
      torch::Tensor x = leaf(c.input, dtype, ++seed), w = leaf(c.weight, dtype, ++seed);
      torch::Tensor b = c.bias ? leaf({c.weight[0]}, dtype, ++seed) : torch::Tensor();
      torch::Tensor y = TF::conv2d(x, w, TF::Conv2dFuncOptions(c.torch_options).bias(b));
      torch::Tensor r = torch::randn(y.sizes(), torch::dtype(dtype));
      (y * r).sum().backward();

      tg::Tensor tx = tg_leaf(x), tw = tg_leaf(w), tb = tg_leaf(b);
      tg::Tensor ty = F::conv2d(tx, tw, F::Conv2dFuncOptions(c.tg_options).bias(tb));
      EXPECT_EQ(ty.grad_fn()->name(), y.grad_fn()->name());
      (ty * to_tg(r)).sum().backward();
      const double tol = tolerance(dtype);
      EXPECT_TRUE(close(ty, y, tol));
      EXPECT_TRUE(close(tx.grad(), x.grad(), tol));
      EXPECT_TRUE(close(tw.grad(), w.grad(), tol));
      if (c.bias) EXPECT_TRUE(close(tb.grad(), b.grad(), tol));
    }
  }
}

TEST(LayersTorch, Conv2dSecondDerivatives) {
  uint64_t seed = 200;
  for (const ConvCase& c : conv_cases()) {
    SCOPED_TRACE(c.name);
    torch::Tensor x = leaf(c.input, torch::kDouble, ++seed), w = leaf(c.weight, torch::kDouble, ++seed);
    torch::Tensor b = c.bias ? leaf({c.weight[0]}, torch::kDouble, ++seed) : torch::Tensor();
    torch::Tensor y = TF::conv2d(x, w, TF::Conv2dFuncOptions(c.torch_options).bias(b));
    auto g = torch::autograd::grad({(y * y * y).sum()}, {x, w}, {}, true, true);
    torch::Tensor rx = torch::randn(x.sizes(), torch::kDouble), rw = torch::randn(w.sizes(), torch::kDouble);
    auto gg = torch::autograd::grad({(g[0] * rx).sum() + (g[1] * rw).sum()}, {x, w});

    tg::Tensor tx = tg_leaf(x), tw = tg_leaf(w), tb = tg_leaf(b);
    tg::Tensor ty = F::conv2d(tx, tw, F::Conv2dFuncOptions(c.tg_options).bias(tb));
    auto tgrad = tg::autograd::grad({(ty * ty * ty).sum()}, {tx, tw}, {}, tg::nullopt, true);
    auto tgg = tg::autograd::grad({(tgrad[0] * to_tg(rx)).sum() + (tgrad[1] * to_tg(rw)).sum()}, {tx, tw});
    EXPECT_TRUE(close(tgrad[0], g[0], 1e-12));
    EXPECT_TRUE(close(tgrad[1], g[1], 1e-12));
    EXPECT_TRUE(close(tgg[0], gg[0], 1e-12));
    EXPECT_TRUE(close(tgg[1], gg[1], 1e-12));
  }
}

namespace {

struct PoolCase {
  std::string name;
  std::vector<int64_t> input;
  TF::MaxPool2dFuncOptions torch_options;
  F::MaxPool2dFuncOptions tg_options;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"k2", {2, 3, 8, 8}, TF::MaxPool2dFuncOptions(2), F::MaxPool2dFuncOptions(2)},
      // Odd sizes (the last row and column belong to no window) and output rows
      // longer than the 2x2 kernel's pieces of 64.
      {"k2_odd_wide", {1, 2, 9, 141}, TF::MaxPool2dFuncOptions(2), F::MaxPool2dFuncOptions(2)},
      {"k3_s1_p1", {2, 2, 7, 6}, TF::MaxPool2dFuncOptions(3).stride(1).padding(1),
       F::MaxPool2dFuncOptions(3).stride(1).padding(1)},
      {"ceil", {1, 3, 7, 9}, TF::MaxPool2dFuncOptions(2).ceil_mode(true), F::MaxPool2dFuncOptions(2).ceil_mode(true)},
      {"ceil_padding", {2, 1, 6, 6}, TF::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true),
       F::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true)},
      {"rectangular_dilated", {2, 2, 9, 8}, TF::MaxPool2dFuncOptions({2, 3}).stride({1, 2}).dilation({2, 1}),
       F::MaxPool2dFuncOptions({2, 3}).stride({1, 2}).dilation({2, 1})},
      {"unbatched", {3, 6, 6}, TF::MaxPool2dFuncOptions(2), F::MaxPool2dFuncOptions(2)},
  };
}

}  // namespace

TEST(LayersTorch, MaxPool2dForwardAndGradients) {
  for (torch::ScalarType dtype : {torch::kFloat, torch::kDouble}) {
    uint64_t seed = 300;
    for (const PoolCase& c : pool_cases()) {
      SCOPED_TRACE(c.name + (dtype == torch::kFloat ? " float32" : " float64"));
      torch::Tensor x = leaf(c.input, dtype, ++seed);
      torch::Tensor y = TF::max_pool2d(x, c.torch_options);
      torch::Tensor r = torch::randn(y.sizes(), torch::dtype(dtype));
      (y * r).sum().backward();
      tg::Tensor tx = tg_leaf(x);
      tg::Tensor ty = F::max_pool2d(tx, c.tg_options);
      EXPECT_EQ(ty.grad_fn()->name(), y.grad_fn()->name());
      (ty * to_tg(r)).sum().backward();
      // Selecting values is exact; the gradient sums at most a few terms.
      EXPECT_TRUE(close(ty, y, 0));
      EXPECT_TRUE(close(tx.grad(), x.grad(), tolerance(dtype)));
    }
  }
}

TEST(LayersTorch, MaxPool2dTiesAndNaN) {
  // Rounded values tie often; NaN and -inf entries must be placed as libtorch places them.
  torch::manual_seed(7);
  torch::Tensor x = torch::randint(0, 3, {2, 2, 6, 6}, torch::kDouble);
  x.index_put_({0, 0, 1, 1}, NAN);
  x.index_put_({0, 1, 2, 2}, NAN);
  x.index_put_({0, 1, 2, 3}, NAN);
  x.index_put_({1, 0}, -INFINITY);
  x.requires_grad_();
  auto opts = TF::MaxPool2dFuncOptions(3).stride(1).padding(1);
  torch::Tensor y = TF::max_pool2d(x, opts);
  y.backward(torch::ones_like(y));
  tg::Tensor tx = tg_leaf(x);
  tg::Tensor ty = F::max_pool2d(tx, F::MaxPool2dFuncOptions(3).stride(1).padding(1));
  ty.backward(tg::ones_like(ty));
  EXPECT_TRUE(close(ty, y, 0));
  EXPECT_TRUE(close(tx.grad(), x.grad(), 0));
}

TEST(LayersTorch, MaxPool2dFloat2x2TiesNaNAndRowLengths) {
  // The float32 2x2 kernel works on sixteen outputs at a time: rows of 1 to 33
  // outputs cover the partial and the whole vectors; rounded values tie in every
  // window and NaN entries (several in one window) must win as in libtorch.
  torch::manual_seed(11);
  for (int64_t out_w : {1, 7, 14, 16, 17, 33}) {
    SCOPED_TRACE("output width " + std::to_string(out_w));
    torch::Tensor x = torch::randint(0, 3, {3, 2, 6, 2 * out_w + 1}, torch::kFloat);
    x.index_put_({0, 0, 0, 0}, NAN);
    x.index_put_({0, 0, 1, 1}, NAN);
    x.index_put_({1, 1, 3, torch::indexing::Slice()}, NAN);
    x.index_put_({2, 0}, -INFINITY);
    x.requires_grad_();
    torch::Tensor y = TF::max_pool2d(x, TF::MaxPool2dFuncOptions(2));
    torch::Tensor r = torch::arange(y.numel(), torch::kFloat).reshape(y.sizes());
    y.backward(r);
    tg::Tensor tx = tg_leaf(x);
    tg::Tensor ty = F::max_pool2d(tx, F::MaxPool2dFuncOptions(2));
    ty.backward(to_tg(r));
    EXPECT_TRUE(close(ty, y, 0));
    // Distinct upstream values: each lands exactly where libtorch's argmax put it.
    EXPECT_TRUE(close(tx.grad(), x.grad(), 0));
  }
}

TEST(LayersTorch, MaxPool2dSecondDerivatives) {
  uint64_t seed = 400;
  for (const PoolCase& c : pool_cases()) {
    SCOPED_TRACE(c.name);
    torch::Tensor x = leaf(c.input, torch::kDouble, ++seed);
    torch::Tensor y = TF::max_pool2d(x, c.torch_options);
    torch::Tensor g = torch::autograd::grad({(y * y * y).sum()}, {x}, {}, true, true)[0];
    torch::Tensor r = torch::randn(x.sizes(), torch::kDouble);
    torch::Tensor gg = torch::autograd::grad({(g * r).sum()}, {x})[0];
    tg::Tensor tx = tg_leaf(x);
    tg::Tensor ty = F::max_pool2d(tx, c.tg_options);
    tg::Tensor tgrad = tg::autograd::grad({(ty * ty * ty).sum()}, {tx}, {}, tg::nullopt, true)[0];
    EXPECT_EQ(tgrad.grad_fn()->name(), g.grad_fn()->name());
    tg::Tensor tgg = tg::autograd::grad({(tgrad * to_tg(r)).sum()}, {tx})[0];
    EXPECT_TRUE(close(tgrad, g, 1e-12));
    EXPECT_TRUE(close(tgg, gg, 1e-12));
  }
}

TEST(LayersTorch, LayerNormForwardAndGradients) {
  struct Case {
    std::vector<int64_t> input, normalized;
    bool weight, bias;
  };
  const std::vector<Case> cases = {
      {{4, 16}, {16}, true, true},   {{2, 3, 5}, {3, 5}, true, false}, {{3, 7}, {7}, false, true},
      {{2, 2, 9}, {9}, false, false}, {{6}, {6}, true, true},           {{8, 300}, {300}, true, true},
  };
  for (torch::ScalarType dtype : {torch::kFloat, torch::kDouble}) {
    uint64_t seed = 500;
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::PrintToString(c.input) + (dtype == torch::kFloat ? " float32" : " float64"));
      torch::Tensor x = leaf(c.input, dtype, ++seed) * 3 + 1;
      x.retain_grad();
      torch::Tensor w = c.weight ? leaf(c.normalized, dtype, ++seed) : torch::Tensor();
      torch::Tensor b = c.bias ? leaf(c.normalized, dtype, ++seed) : torch::Tensor();
      torch::Tensor y = TF::layer_norm(x, TF::LayerNormFuncOptions(c.normalized).weight(w).bias(b).eps(1e-4));
      torch::Tensor r = torch::randn(y.sizes(), torch::dtype(dtype));
      (y * r).sum().backward();

      tg::Tensor tx = tg_leaf(x), tw = tg_leaf(w), tb = tg_leaf(b);
      tg::Tensor ty = F::layer_norm(tx, F::LayerNormFuncOptions(c.normalized).weight(tw).bias(tb).eps(1e-4));
      EXPECT_EQ(ty.grad_fn()->name(), y.grad_fn()->name());
      (ty * to_tg(r)).sum().backward();
      const double tol = tolerance(dtype);
      EXPECT_TRUE(close(ty, y, tol));
      EXPECT_TRUE(close(tx.grad(), x.grad(), tol));
      if (c.weight) EXPECT_TRUE(close(tw.grad(), w.grad(), tol));
      if (c.bias) EXPECT_TRUE(close(tb.grad(), b.grad(), tol));
    }
  }
}

TEST(LayersTorch, LayerNormSecondDerivatives) {
  torch::Tensor x = leaf({3, 2, 5}, torch::kDouble, 600), w = leaf({2, 5}, torch::kDouble, 601);
  torch::Tensor b = leaf({2, 5}, torch::kDouble, 602);
  torch::Tensor y = TF::layer_norm(x, TF::LayerNormFuncOptions({2, 5}).weight(w).bias(b));
  auto g = torch::autograd::grad({(y * y * y).sum()}, {x, w}, {}, true, true);
  torch::Tensor rx = torch::randn(x.sizes(), torch::kDouble), rw = torch::randn(w.sizes(), torch::kDouble);
  auto gg = torch::autograd::grad({(g[0] * rx).sum() + (g[1] * rw).sum()}, {x, w, b});

  tg::Tensor tx = tg_leaf(x), tw = tg_leaf(w), tb = tg_leaf(b);
  tg::Tensor ty = F::layer_norm(tx, F::LayerNormFuncOptions({2, 5}).weight(tw).bias(tb));
  auto tgrad = tg::autograd::grad({(ty * ty * ty).sum()}, {tx, tw}, {}, tg::nullopt, true);
  auto tgg = tg::autograd::grad({(tgrad[0] * to_tg(rx)).sum() + (tgrad[1] * to_tg(rw)).sum()}, {tx, tw, tb});
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(close(tgrad[i], g[i], 1e-12)) << i;
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(close(tgg[i], gg[i], 1e-12)) << i;
}

TEST(LayersTorch, DropoutComposition) {
  // The masks come from different generators; what must agree is the node, the
  // scaling of kept elements and the special cases.
  torch::Tensor x = torch::rand({1000}, torch::requires_grad()) + 0.5;
  torch::Tensor y = TF::dropout(x, TF::DropoutFuncOptions().p(0.3));
  tg::Tensor tx = tg_leaf(x.detach());
  tg::Tensor ty = F::dropout(tx, F::DropoutFuncOptions(0.3));
  EXPECT_EQ(ty.grad_fn()->name(), y.grad_fn()->name());
  torch::Tensor kept = to_torch(ty).ne(0);
  EXPECT_NEAR(kept.sum().item<double>() / 1000, 0.7, 0.05);
  torch::Tensor expected = x.detach() * kept * (1 / (1 - 0.3f));
  EXPECT_TRUE(close(ty, expected, 1e-7));
  for (double p : {0.0, 1.0}) {
    torch::Tensor ref = TF::dropout(x, TF::DropoutFuncOptions().p(p));
    tg::Tensor out = F::dropout(tx, F::DropoutFuncOptions(p));
    EXPECT_TRUE(close(out, ref, 0)) << p;
    EXPECT_EQ(out.is_same(tx), ref.is_same(x)) << p;
  }
}

TEST(LayersTorch, Embedding) {
  torch::Tensor w = leaf({6, 4}, torch::kFloat, 700);
  torch::Tensor idx = torch::tensor({{0, 5, 2}, {5, 5, 1}});
  for (int64_t pad : {-1, -6, 0, 3}) {
    SCOPED_TRACE(pad);
    torch::Tensor y = TF::embedding(idx, w, TF::EmbeddingFuncOptions().padding_idx(pad));
    w.mutable_grad() = torch::Tensor();
    y.sum().backward();
    tg::Tensor tw = tg_leaf(w);
    tg::Tensor ty = F::embedding(to_tg(idx), tw, F::EmbeddingFuncOptions().padding_idx(pad));
    ty.sum().backward();
    EXPECT_TRUE(close(ty, y, 0));
    EXPECT_TRUE(close(tw.grad(), w.grad(), 0));
  }
}
