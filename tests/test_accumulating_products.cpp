// Note [Accumulating products] (src/autograd/engine.cpp): a product's gradient is
// added by its GEMM straight into a leaf's .grad when nothing could observe it on
// the way there. These tests check that the path is taken where it should be (the
// product's buffer is never allocated), gives the gradient the separate sum gives,
// and is not taken wherever something could tell the difference.
#include <cstring>
#include <vector>

#include "core/allocator.h"
#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;

namespace {

// A layer whose weight gradient (64 x 300 floats, 76,800 bytes) is far larger than
// any other buffer its backward makes, so the storage the backward leaves in the
// thread's cache tells whether that gradient was ever a tensor of its own.
struct Layer {
  Tensor weight = randn({64, 300}, dtype(kFloat)).requires_grad_();
  Tensor bias = randn({64}, dtype(kFloat)).requires_grad_();
  Tensor input = randn({2, 300}, dtype(kFloat));
  Tensor upstream = randn({2, 64}, dtype(kFloat));

  Tensor loss() const { return (F::linear(input, weight, bias) * upstream).sum(); }
  // The weight gradient of loss(), as the formula defines it.
  Tensor expected_weight_grad() const { return upstream.t().mm(input); }
};

constexpr size_t kWeightGradBytes = 64 * 300 * sizeof(float);

// Runs backward from a clean thread cache; returns the bytes it left cached.
size_t bytes_cached_by_backward(const Tensor& loss) {
  core::release_cached_storage();
  loss.backward();
  return core::cached_storage_bytes();
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return a.sizes().equals(b.sizes()) && a.dtype() == b.dtype() &&
         std::memcmp(ca.data_ptr(), cb.data_ptr(), static_cast<size_t>(ca.numel()) * ca.element_size()) == 0;
}

// Sanitizer builds bypass the pool (TG_NO_POOL, private to the library): nothing
// is ever cached there, so the tests check the cache only where there is one.
bool storage_is_pooled() {
  core::release_cached_storage();
  { Tensor probe = zeros({1000}); }
  return core::cached_storage_bytes() != 0;
}

}  // namespace

TEST(AccumulatingProducts, TheWeightGradientIsAddedIntoDotGradWithoutABufferOfItsOwn) {
  const bool pooled = storage_is_pooled();
  manual_seed(1);
  Layer layer;
  layer.loss().backward();  // the first gradient is stolen: .grad is then defined
  layer.weight.mutable_grad().zero_();
  const void* grad_memory = layer.weight.grad().data_ptr();
  const uint32_t version = layer.weight.grad()._version();
  const size_t cached = bytes_cached_by_backward(layer.loss());
  if (pooled) {
    EXPECT_LT(cached, kWeightGradBytes);
  }
  EXPECT_EQ(layer.weight.grad().data_ptr(), grad_memory);
  EXPECT_EQ(layer.weight.grad()._version(), version + 1);
  EXPECT_TRUE(layer.weight.grad().allclose(layer.expected_weight_grad(), 1e-5, 1e-5));
}

TEST(AccumulatingProducts, ALeafHookSeesTheProductAsABufferOfItsOwn) {
  const bool pooled = storage_is_pooled();
  manual_seed(1);
  Layer layer;
  int calls = 0;
  layer.weight.register_hook([&](const Tensor& g) {
    ++calls;
    return g;
  });
  layer.loss().backward();
  layer.weight.mutable_grad().zero_();
  const size_t cached = bytes_cached_by_backward(layer.loss());
  if (pooled) {
    EXPECT_GE(cached, kWeightGradBytes);
  }
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(layer.weight.grad().allclose(layer.expected_weight_grad(), 1e-5, 1e-5));
}

TEST(AccumulatingProducts, AWeightUsedDirectlyAsAnOperandIsAddedIntoToo) {
  const bool pooled = storage_is_pooled();
  manual_seed(5);
  Tensor w = randn({300, 64}).requires_grad_();
  const Tensor x = randn({2, 300}), u = randn({2, 64});
  auto loss = [&] { return (x.mm(w) * u).sum(); };
  loss().backward();
  w.mutable_grad().zero_();
  const size_t cached = bytes_cached_by_backward(loss());
  if (pooled) {
    EXPECT_LT(cached, kWeightGradBytes);
  }
  EXPECT_TRUE(w.grad().allclose(x.t().mm(u), 1e-5, 1e-5));
}

TEST(AccumulatingProducts, AGradientTheGemmCannotWriteGetsTheSeparateSum) {
  const bool pooled = storage_is_pooled();
  manual_seed(6);
  Layer layer;
  // Every other column of a wider tensor: neither contiguous nor column-major.
  const Tensor wide = zeros({64, 600});
  layer.weight.mutable_grad() = wide.slice(1, 0, 600, 2);
  const size_t cached = bytes_cached_by_backward(layer.loss());
  if (pooled) {
    EXPECT_GE(cached, kWeightGradBytes);
  }
  EXPECT_TRUE(wide.slice(1, 0, 600, 2).allclose(layer.expected_weight_grad(), 1e-5, 1e-5));
  EXPECT_TRUE(wide.slice(1, 1, 600, 2).equal(zeros({64, 300})));
}

TEST(AccumulatingProducts, AHookThatRunsBeforeTheLeafsAccumulationSeesItsOldGradient) {
  // The weight's transpose is made before another op (relu), so in libtorch's
  // order the relu's node, and the hook on its output, run before the transpose's
  // node and the weight's accumulation.
  Tensor w = tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2}).requires_grad_();
  w.mutable_grad() = zeros_like(w);
  Tensor x = tensor({1.0f, -2.0f}).reshape({1, 2}).requires_grad_();
  const Tensor wt = w.t();
  Tensor h = relu(x);
  Tensor grad_seen_by_hook;
  h.register_hook([&](const Tensor& g) {
    grad_seen_by_hook = w.grad().clone();
    return g;
  });
  (h.mm(wt) * tensor({3.0f, 5.0f}).reshape({1, 2})).sum().backward();
  EXPECT_TENSOR(grad_seen_by_hook, {2, 2}, {0, 0, 0, 0});
  EXPECT_TENSOR(w.grad(), {2, 2}, {3, 0, 5, 0});  // u.t() @ relu(x)
}

TEST(AccumulatingProducts, ABiasHookThatRunsBeforeTheWeightsAccumulationSeesItsOldGradient) {
  manual_seed(7);
  Layer layer;
  layer.loss().backward();
  layer.weight.mutable_grad().zero_();
  layer.bias.mutable_grad().zero_();
  Tensor weight_grad_seen;
  layer.bias.register_hook([&](const Tensor& g) {
    weight_grad_seen = layer.weight.grad().clone();
    return g;
  });
  layer.loss().backward();
  EXPECT_TRUE(weight_grad_seen.equal(zeros_like(layer.weight)));
  EXPECT_TRUE(layer.weight.grad().allclose(layer.expected_weight_grad(), 1e-5, 1e-5));
}

TEST(AccumulatingProducts, AGradientThatIsAnOperandsOwnMemoryLeavesItReadableForTheOtherGradient) {
  // a's .grad is a itself: the product's node still reads a (for b's gradient)
  // after a's gradient is summed, so that sum waits for AccumulateGrad.
  Tensor a = tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2}).requires_grad_();
  Tensor b = tensor({1.0f, 10.0f, 100.0f, 1000.0f}).reshape({2, 2}).requires_grad_();
  a.mutable_grad() = a.detach();
  a.mm(b).sum().backward();
  EXPECT_TENSOR(b.grad(), {2, 2}, {4, 4, 6, 6});  // a.t() @ ones, a as it was
  EXPECT_TENSOR(a, {2, 2}, {12, 1102, 14, 1104});  // a + ones @ b.t()
}

TEST(AccumulatingProducts, AddedInPlaceTheGradientIsBitForBitTheSeparateSum) {
  manual_seed(2);
  Layer fused, separate;
  separate.weight = fused.weight.detach().clone().requires_grad_();
  separate.bias = fused.bias.detach().clone().requires_grad_();
  separate.input = fused.input;
  separate.upstream = fused.upstream;
  separate.weight.register_hook([](const Tensor& g) { return g; });  // keeps the product apart
  for (Layer* layer : {&fused, &separate}) {
    layer->loss().backward();
    layer->weight.mutable_grad().zero_();
    layer->bias.mutable_grad().zero_();
    layer->loss().backward();
  }
  // After zero_grad, 0 + product is the product whatever the order of additions.
  EXPECT_TRUE(bitwise_equal(fused.weight.grad(), separate.weight.grad()));
  EXPECT_TRUE(bitwise_equal(fused.bias.grad(), separate.bias.grad()));
  // A further pass adds a second product to a gradient that is not zero.
  fused.loss().backward();
  separate.loss().backward();
  EXPECT_TRUE(fused.weight.grad().allclose(separate.weight.grad(), 1e-6, 1e-6));
  EXPECT_TRUE(fused.weight.grad().allclose(fused.expected_weight_grad() * 2, 1e-5, 1e-5));
}

TEST(AccumulatingProducts, AWeightSharedByTwoLayersGetsBothGradientsSummedFirst) {
  Tensor w = tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2}).requires_grad_();
  Tensor x1 = tensor({1.0f, 0.0f}).reshape({1, 2}), x2 = tensor({0.0f, 2.0f}).reshape({1, 2});
  Tensor u1 = tensor({1.0f, 10.0f}).reshape({1, 2}), u2 = tensor({100.0f, 1000.0f}).reshape({1, 2});
  auto loss = [&] { return (F::linear(x1, w) * u1).sum() + (F::linear(x2, w) * u2).sum(); };
  loss().backward();
  w.mutable_grad().fill_(0.5f);
  loss().backward();
  // d/dw = u1.t() @ x1 + u2.t() @ x2, added to the 0.5 already there.
  EXPECT_TENSOR(w.grad(), {2, 2}, {1.5, 200.5, 10.5, 2000.5});
}

TEST(AccumulatingProducts, AutogradGradLeavesDotGradAlone) {
  manual_seed(3);
  Layer layer;
  layer.weight.mutable_grad() = ones_like(layer.weight);
  auto grads = autograd::grad({layer.loss()}, {layer.weight});
  EXPECT_TRUE(layer.weight.grad().equal(ones_like(layer.weight)));
  EXPECT_TRUE(grads[0].allclose(layer.expected_weight_grad(), 1e-5, 1e-5));
}

TEST(AccumulatingProducts, BackwardRestrictedToOtherInputsLeavesTheWeightAlone) {
  manual_seed(4);
  Layer layer;
  layer.weight.mutable_grad() = zeros_like(layer.weight);
  layer.bias.mutable_grad() = zeros_like(layer.bias);
  layer.loss().backward({}, nullopt, false, TensorList{layer.bias});
  EXPECT_TRUE(layer.weight.grad().equal(zeros_like(layer.weight)));
  EXPECT_TRUE(layer.bias.grad().allclose(layer.upstream.sum(0), 1e-6, 1e-6));
}

TEST(AccumulatingProducts, AHookOnTheTransposedWeightSeesTheGradient) {
  Tensor w = tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2}).requires_grad_();
  w.mutable_grad() = zeros_like(w);
  Tensor wt = w.t();
  Tensor seen;
  wt.register_hook([&](const Tensor& g) {
    seen = g.clone();
    return g;
  });
  Tensor x = tensor({1.0f, 2.0f}).reshape({1, 2}), u = tensor({3.0f, 5.0f}).reshape({1, 2});
  (x.mm(wt) * u).sum().backward();
  ASSERT_TRUE(seen.defined());
  EXPECT_TENSOR(seen, {2, 2}, {3, 5, 6, 10});
  EXPECT_TENSOR(w.grad(), {2, 2}, {3, 6, 5, 10});
}

TEST(AccumulatingProducts, AGradientThatSharesMemoryWithAnOperandIsNotWrittenDuringTheProduct) {
  // .grad set to the layer's own input: the product reads the input while the sum
  // writes it, so the product is computed apart first (libtorch's result). The
  // inner dimension (600 rows) spans several of the GEMM's blocks, so a GEMM
  // writing the input would read rows it had already changed.
  constexpr int64_t kRows = 600, kCols = 16;
  Tensor w = zeros({kRows, kCols}).requires_grad_();
  std::vector<float> values(kRows * kCols);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7);
  Tensor x = tensor(values).reshape({kRows, kCols});
  const Tensor before = x.clone();
  w.mutable_grad() = x;
  F::linear(x, w).sum().backward();
  // d/dw[i][j] = the sum of x[:, j] (exact in float32: small integers), added to x.
  EXPECT_TRUE(x.equal(before + before.sum({0}, /*keepdim=*/true)));
}

TEST(AccumulatingProducts, Float64GradientsKeepTheProductThenTheSum) {
  Tensor w = tensor({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}).reshape({2, 3}).requires_grad_();
  Tensor x = tensor({1.0 / 3, 2.0 / 7, 3.0 / 11, 5.0 / 13, 7.0 / 17, 11.0 / 19}).reshape({2, 3});
  Tensor u = tensor({0.7, 1.0 / 9, 0.3, 1.0 / 23}).reshape({2, 2});
  const Tensor start = tensor({1e8, 1.0 / 3, 1e-8, 0.7, 0.1, 1.0 / 7}, dtype(kDouble)).reshape({2, 3});
  w.mutable_grad() = start.clone();
  (F::linear(x, w) * u).sum().backward();
  EXPECT_TRUE(bitwise_equal(w.grad(), start + u.t().mm(x)));
}

TEST(AccumulatingProducts, CreateGraphGivesADifferentiableGradient) {
  Tensor w = tensor({1.0f, 2.0f}).reshape({1, 2}).requires_grad_();
  w.mutable_grad() = zeros_like(w);
  Tensor x = tensor({3.0f, 4.0f}).reshape({1, 2});
  Tensor y = F::linear(x, w);
  (y * y).sum().backward({}, nullopt, /*create_graph=*/true);
  // d/dw (w.x)^2 = 2 (w.x) x = 2 * 11 * [3, 4], itself a function of w.
  EXPECT_TENSOR(w.grad(), {1, 2}, {66, 88});
  EXPECT_TRUE(w.grad().requires_grad());
}

// Products large enough to run side by side on two threads (mm_backward_side_by_side
// in src/ops/linalg.cpp), with small integers so that float32 sums are exact.
namespace {
Tensor small_integers(IntArrayRef shape, uint64_t seed) {
  manual_seed(seed);
  return randint(0, 3, shape).to(kFloat);
}

}  // namespace

TEST(AccumulatingProducts, SideBySideAGradientThatIsTheOtherOperandIsReadBeforeItIsWritten) {
  // b's .grad is b itself, which a's product reads on the other thread: b's sum
  // must wait until that product is done (libtorch: a.grad uses b as it was).
  tg::testing::ThreadCountScope two_threads(2);  // whatever the machine has
  const Tensor a0 = small_integers({32, 256}, 5), b0 = small_integers({256, 128}, 7);
  Tensor a = a0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  b.mutable_grad() = b.detach();
  a.mm(b).sum().backward();
  const Tensor ones_up = ones({32, 128});
  EXPECT_TRUE(a.grad().equal(ones_up.mm(b0.t())));
  EXPECT_TRUE(b.equal(b0 + a0.t().mm(ones_up)));
}

TEST(AccumulatingProducts, SideBySideTwoGradientsInOneBufferGetTheirOwnSums) {
  // Both .grads are views of one buffer: each gets its own product added.
  tg::testing::ThreadCountScope two_threads(2);  // whatever the machine has
  const Tensor a0 = small_integers({32, 256}, 5), b0 = small_integers({256, 128}, 7);
  Tensor a = a0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  Tensor buffer = ones({32 * 256 + 256 * 128});
  a.mutable_grad() = buffer.slice(0, 0, 32 * 256).view({32, 256});
  b.mutable_grad() = buffer.slice(0, 32 * 256).view({256, 128});
  a.mm(b).sum().backward();
  const Tensor ones_up = ones({32, 128});
  EXPECT_TRUE(a.grad().equal(1 + ones_up.mm(b0.t())));
  EXPECT_TRUE(b.grad().equal(1 + a0.t().mm(ones_up)));
  EXPECT_TRUE(buffer.slice(0, 0, 32 * 256).view({32, 256}).equal(a.grad()));
}
