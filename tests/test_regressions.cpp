// One test per bug found by the reliability work (fuzz/ and the libtorch
// comparisons of test_numerics_torch.cpp), named after what went wrong, so that it
// stays fixed. Expected values are libtorch 1.13's.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

#include "support/test_support.h"

using namespace tg;
using namespace tg::indexing;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// index() applied several 1-D index tensors one dim after the other (an outer
// product), where libtorch pairs them up: x[[2, 0], [3, 1]] is [x[2, 3], x[0, 1]].
TEST(Regressions, SeveralIndexTensorsAreRefusedNotIndexedOneByOne) {
  const Tensor x = arange(12).reshape({3, 4});
  EXPECT_THROW_MSG(x.index({tensor({2, 0}), tensor({3, 1})}),
                   "tensorgrad's index() accepts at most one tensor index of one dimension, got 2");
  EXPECT_THROW_MSG(x.index({tensor({true, false, true}), tensor({3, 1})}), "got 2");
  EXPECT_TENSOR(x.index({tensor({2, 0})}), {2, 4}, {8, 9, 10, 11, 0, 1, 2, 3});
  EXPECT_TENSOR(x.index({tensor(int64_t{2}), tensor({3, 1})}), {2}, {11, 9});
  EXPECT_TENSOR(x.index({Slice(), tensor({3, 1})}), {3, 2}, {3, 1, 7, 5, 11, 9});
}

// relu(NaN) was 0 and its gradient 0; libtorch's relu (clamp_min) keeps NaN and
// its backward (threshold_backward) passes the gradient through at NaN.
TEST(Regressions, ReluPropagatesNaN) {
  const Tensor x = tensor({kNaN, -1.0, 2.0}, kDouble).requires_grad_();
  const Tensor y = x.relu();
  EXPECT_TENSOR(y, {3}, {kNaN, 0, 2});
  y.sum().backward();
  EXPECT_TENSOR(x.grad(), {3}, {1, 0, 1});
}

// amax/amin treated a NaN extremum as equal to the NaN elements; libtorch's
// backward compares with ==, finds no element equal to NaN and divides by that
// count of zero: the whole gradient is NaN. max()/min() do match NaN elements.
TEST(Regressions, AmaxOfNaNHasANaNGradientAsLibtorch) {
  const Tensor x = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  x.amax(0).backward();
  EXPECT_TENSOR(x.grad(), {3}, {kNaN, kNaN, kNaN});
  const Tensor y = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  y.amin(0).backward();
  EXPECT_TENSOR(y.grad(), {3}, {kNaN, kNaN, kNaN});
  const Tensor z = tensor({1.0, kNaN, 3.0}, kDouble).requires_grad_();
  z.max().backward();
  EXPECT_TENSOR(z.grad(), {3}, {0, 1, 0});
}

// The gradient of a / b with respect to b was computed as a / (b * b), which
// overflows (to a zero or NaN gradient) where libtorch's (a / b) / b does not.
TEST(Regressions, DivisionGradientDoesNotOverflowInTheDivisorSquared) {
  const Tensor a = tensor({1e300, kInf}, kDouble).requires_grad_();
  const Tensor b = tensor({1e200, 1e308}, kDouble).requires_grad_();
  (a / b).sum().backward();
  EXPECT_TENSOR(b.grad(), {2}, {-1e-100, -kInf}, 1e-110);
}

// x^-0.5 used pow(), whose value at -inf is 0; libtorch computes it as rsqrt,
// giving NaN, which the gradient of x^0.5 at -inf inherits.
TEST(Regressions, PowerMinusOneHalfIsRsqrtAsLibtorch) {
  EXPECT_TENSOR(tensor({-kInf, 4.0}, kDouble).pow(-0.5), {2}, {kNaN, 0.5});
  const Tensor x = tensor({-kInf, 4.0}, kDouble).requires_grad_();
  x.pow(0.5).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {kNaN, 0.25});
}

// Found by fuzz/op_sequence (a LeakSanitizer report): y.mul_(y) saved y for the
// backward and then gave y the saving node as its history, a reference cycle
// that leaked the graph. As in libtorch, backward then raises (y was modified
// after being saved); now nothing outlives the tensors.
TEST(Regressions, InPlaceOpWithItselfAsOperandFormsNoCycle) {
  for (const bool divide : {false, true}) {
    const Tensor x = tensor({1.0, 2.0}, kDouble).requires_grad_();
    intrusive_ptr<autograd::Node> node;
    {
      Tensor y = x * 3;
      if (divide) y.div_(y);
      else y.mul_(y);
      EXPECT_TENSOR(y, {2}, divide ? std::vector<double>{1, 1} : std::vector<double>{9, 36});
      node = y.grad_fn();
      EXPECT_EQ(node->name(), divide ? "DivBackward0" : "MulBackward0");
      EXPECT_THROW_MSG(y.sum().backward(),
                       "one of the variables needed for gradient computation has been modified by an inplace "
                       "operation");
    }
    EXPECT_EQ(node.use_count(), 1);  // y is gone, and with it every other reference
  }
}

// Found by fuzz/op_sequence (UBSan: "nan is outside the range of representable
// values of type 'long'"): converting a floating value that no int64 holds is
// undefined behaviour in C++. It now gives INT64_MIN, as libtorch does on x86.
TEST(Regressions, FloatingToLongOfUnrepresentableValuesIsInt64Min) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const Tensor d = tensor(std::vector<double>{kNaN, kInf, -kInf, 1e19, -1e19, 2.7, -2.7, -0x1p63}).to(kLong);
  const std::vector<int64_t> expected = {lo, lo, lo, lo, lo, 2, -2, lo};
  ASSERT_EQ(d.numel(), 8);
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(d.data_ptr<int64_t>()[i], expected[i]) << i;
  const Tensor f = tensor({kNaN, 3.5, -1e30}).to(kFloat).to(kLong);
  EXPECT_EQ(f.data_ptr<int64_t>()[0], lo);
  EXPECT_EQ(f.data_ptr<int64_t>()[1], 3);
  EXPECT_EQ(f.data_ptr<int64_t>()[2], lo);
}

// Found by fuzz/op_sequence (UBSan: signed integer overflow in the sum kernel):
// int64 sums now wrap around, as tensorgrad's int64 + and libtorch's sums do.
TEST(Regressions, Int64SumWrapsAroundWithoutUndefinedBehaviour) {
  const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(tensor(std::vector<int64_t>{lo, lo}).sum().item<int64_t>(), 0);
  EXPECT_EQ(tensor(std::vector<int64_t>{hi, 1}).sum().item<int64_t>(), lo);
  EXPECT_EQ(full({3, 40}, hi, kLong).sum(1)[0].item<int64_t>(), -40);  // 40 * (2^63 - 1) mod 2^64
  EXPECT_EQ((tensor(std::vector<int64_t>{hi}) + 1).item<int64_t>(), lo);
}

// Found by fuzz/op_sequence (UBSan: "-inf is outside the range of representable
// values of type 'long'"): filling an int64 tensor with a floating value no int64
// holds converted it with undefined behaviour; it raises libtorch's error now.
TEST(Regressions, FillingLongWithAnUnrepresentableValueRaises) {
  Tensor t = zeros({2}, kLong);
  for (const double v : {kNaN, kInf, -kInf, 1e19})
    EXPECT_THROW_MSG(t.fill_(v), "value cannot be converted to type int64_t without overflow") << v;
  EXPECT_THROW_MSG(full({2}, kNaN, kLong), "value cannot be converted to type int64_t without overflow");
  EXPECT_TENSOR(t.fill_(-2.7), {2}, {-2, -2});
  EXPECT_TENSOR(zeros({2}, kBool).fill_(kNaN), {2}, {1, 1});
}

// Found by fuzz/op_sequence (UBSan: "nan is outside the range of representable
// values of type 'long'", in addmm): every floating Scalar used as an int64 went
// through an unchecked conversion. Scalar::toLong is checked now, as libtorch's.
TEST(Regressions, AnUnrepresentableScalarForAnIntegerOpRaises) {
  const Tensor m = ones({2, 2}, kLong);
  const char* msg = "value cannot be converted to type int64_t without overflow";
  EXPECT_THROW_MSG(tg::addmm(m, m, m, /*beta=*/1, /*alpha=*/kNaN), msg);
  EXPECT_THROW_MSG(tg::addmm(m, m, m, /*beta=*/kInf, /*alpha=*/1), msg);
  EXPECT_THROW_MSG(m.add(m, 1e19), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_THROW_MSG(Scalar(kNaN).toLong(), msg);
  EXPECT_EQ(Scalar(-2.7).toLong(), -2);
  // libtorch truncates a representable floating beta for integer tensors: 0.5 -> 0.
  EXPECT_TENSOR(tg::addmm(m, m, m, /*beta=*/0.5, /*alpha=*/2.0), {2, 2}, {4, 4, 4, 4});
}

// Found by fuzz/op_sequence (UBSan: "negation of -9223372036854775808 cannot be
// represented"): abs of INT64_MIN negated a signed value. It wraps to INT64_MIN
// now, as libtorch's; abs(-0.0) is +0.0 as libtorch's too.
TEST(Regressions, AbsOfInt64MinWrapsAround) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const Tensor a = tensor(std::vector<int64_t>{lo, -5, 7}).abs();
  EXPECT_EQ(a.data_ptr<int64_t>()[0], lo);
  EXPECT_EQ(a.data_ptr<int64_t>()[1], 5);
  EXPECT_EQ(a.data_ptr<int64_t>()[2], 7);
  EXPECT_FALSE(std::signbit(tensor({-0.0}, kDouble).abs().item<double>()));
}

// Found by fuzz/safetensors_loader (an uncaught exception): a header holding a
// number too large for a double (1E432) made the JSON parser throw its
// out_of_range exception, which escaped load_tensors instead of a tg::Error.
TEST(Regressions, SafetensorsHeaderWithAnOverflowingNumberRaisesTgError) {
  const std::string path = ::testing::TempDir() + "tg_regression_overflow.safetensors";
  const std::string header = R"({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 1E432]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header + std::string(8, '\0');
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  EXPECT_THROW_MSG(load_tensors(path), "is not a valid safetensors file: its header is not valid JSON: "
                                       "[json.exception.out_of_range.406] number overflow parsing '1E432'");
  std::remove(path.c_str());
}

// fuzz (op_sequence): index_select of a 0-dim tensor wrote one row per index
// into a one-element result (a heap overflow for two or more indices). libtorch
// 1.13 reads past an empty index there; later versions raise this error.
TEST(Regressions, IndexSelectOfAScalarTakesExactlyOneIndex) {
  const Tensor s = tensor(5.0, kDouble);
  EXPECT_TENSOR(s.index_select(0, tensor({0})), {}, {5});
  EXPECT_TENSOR(s.index_select(0, tensor(int64_t{0})), {}, {5});
  EXPECT_THROW_MSG(s.index_select(0, tensor({0, 0})),
                   "index_select(): Index to scalar can have only 1 value, got 2 value(s)");
  EXPECT_THROW_MSG(s.index_select(0, zeros({0}, kLong)),
                   "index_select(): Index to scalar can have only 1 value, got 0 value(s)");
}

// fuzz (op_sequence): addmm on int64 with an empty inner dimension scaled the
// input by beta with a signed multiply (UB on overflow); it wraps around now, as
// every other integer product does.
TEST(Regressions, Int64AddmmWithEmptyInnerDimWrapsBetaTimesInput) {
  const Tensor m = tensor({int64_t{1} << 62, 3}).reshape({1, 2});
  const Tensor out = tg::addmm(m, zeros({1, 0}, kLong), zeros({0, 2}, kLong), /*beta=*/4, /*alpha=*/1);
  EXPECT_TENSOR(out, {1, 2}, {0, 12});
}

// An in-place op on an expanded tensor applied once per alias: zeros({1})
// .expand({3}).add_(1) left 3. libtorch refuses every in-place op there but a fill.
TEST(Regressions, InPlaceOpsRefuseATensorWhoseElementsShareMemory) {
  const char* overlap =
      "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
      "Please clone() the tensor before performing the operation.";
  const Tensor b = zeros({1});
  EXPECT_THROW_MSG(b.expand({3}).add_(1), overlap);
  EXPECT_THROW_MSG(b.expand({3}).mul_(tensor({1.0f, 2.0f, 3.0f})), overlap);
  EXPECT_THROW_MSG(b.expand({3}).copy_(tensor({1.0f, 2.0f, 3.0f})), overlap);
  EXPECT_THROW_MSG(nn::functional::relu(b.expand({2, 3}), nn::functional::ReLUFuncOptions().inplace(true)), overlap);
  EXPECT_TENSOR(b, {1}, {0});
  b.expand({3}).fill_(2);
  EXPECT_TENSOR(b, {1}, {2});
  const Tensor m = zeros({2, 1});
  m.expand({2, 4}).zero_();
  m.expand({1, 2, 1}).add_(1);  // a size-1 dim of stride 0 aliases nothing
  EXPECT_TENSOR(m, {2, 1}, {1, 1});
}

// copy_ from a source overlapping its destination read values it had already
// overwritten (and called memcpy on overlapping ranges). libtorch refuses; here
// the source is copied first, as the binary in-place ops' operands are.
TEST(Regressions, CopyFromAnOverlappingSourceCopiesItsOldValues) {
  const Tensor a = arange(9, kFloat).reshape({3, 3});
  a.copy_(a.t());
  EXPECT_TENSOR(a, {3, 3}, {0, 3, 6, 1, 4, 7, 2, 5, 8});
  Tensor v = arange(6, kFloat);
  v.slice(0, 1, 5).copy_(v.slice(0, 0, 4));
  EXPECT_TENSOR(v, {6}, {0, 0, 1, 2, 3, 5});
  v.index_put_({Slice(None, 4)}, v.index({Slice(2, None)}));
  EXPECT_TENSOR(v, {6}, {1, 2, 3, 5, 3, 5});
}

// fill_, zero_ and mutable_grad() on an undefined tensor dereferenced null.
TEST(Regressions, UndefinedTensorsRaiseInsteadOfCrashing) {
  Tensor u;
  EXPECT_THROW_MSG(u.fill_(1), "an in-place operation was called on an undefined Tensor");
  EXPECT_THROW_MSG(u.zero_(), "an in-place operation was called on an undefined Tensor");
  EXPECT_THROW_MSG(u.add_(1), "called on an undefined Tensor");
  EXPECT_THROW_MSG(std::move(u) = 3.0, "an in-place operation was called on an undefined Tensor");
  EXPECT_THROW_MSG(u.mutable_grad(), "mutable_grad() called on an undefined Tensor");
}

// from_blob(nullptr, {3}) made a tensor that crashed when read.
TEST(Regressions, FromBlobRefusesANullPointerToElements) {
  EXPECT_THROW_MSG(from_blob(nullptr, {3}), "from_blob: the data pointer is null, but sizes [3] need 3 elements");
  EXPECT_THROW_MSG(from_blob(nullptr, {2, 2}, [](void*) {}), "from_blob: the data pointer is null");
  EXPECT_EQ(from_blob(nullptr, {0, 3}).numel(), 0);
}

// A failed allocation was a bare std::bad_alloc; and 2^61 - 1 doubles (2^64 - 8
// bytes) rounded up to a size class of 2^64, which wrapped to an allocation of 0.
TEST(Regressions, OutOfMemoryIsLibtorchsErrorAndHugeSizesDoNotWrap) {
  EXPECT_THROW_MSG(empty({(int64_t{1} << 61) - 1}, kDouble),
                   "DefaultCPUAllocator: not enough memory: you tried to allocate 18446744073709551608 bytes.");
#if !defined(__SANITIZE_ADDRESS__)  // ASan aborts on an allocation it cannot serve
  EXPECT_THROW_MSG(empty({int64_t{1} << 45}, kFloat),
                   "DefaultCPUAllocator: not enough memory: you tried to allocate 140737488355328 bytes.");
#endif
}

// A hook on a leaf could hand .grad() a tensor of another shape or dtype; the
// message for a non-leaf blamed the node. libtorch's check_variable_result.
TEST(Regressions, HooksMayNotChangeTheGradientsShapeOrDtype) {
  const Tensor x = ones({2}, TensorOptions().requires_grad(true));
  x.register_hook([](const Tensor&) { return ones({3}); });
  EXPECT_THROW_MSG((x * 2).sum().backward(), "hook 'hook' has changed the size of value");
  const Tensor w = ones({2}, TensorOptions().requires_grad(true));
  w.register_hook([](const Tensor& g) { return g.to(kDouble); });
  EXPECT_THROW_MSG((w * 2).sum().backward(),
                   "hook 'hook' has changed the type of value (was CPUFloatType got CPUDoubleType)");
  const Tensor z = ones({2}, TensorOptions().requires_grad(true));
  const Tensor y = z * 2;
  y.register_hook([](const Tensor&) { return ones({3}); });
  EXPECT_THROW_MSG(y.sum().backward(), "hook 'hook' has changed the size of value");
  const Tensor k = ones({2}, TensorOptions().requires_grad(true));
  k.register_hook([](const Tensor& g) { return g * 3; });
  (k * 2).sum().backward();
  EXPECT_TENSOR(k.grad(), {2}, {6, 6});
}

// DataLoader::size() computed n + batch_size - 1, which overflowed for a batch
// size near INT64_MAX: no batches, and a training run that trained nothing.
TEST(Regressions, DataLoaderWithAHugeBatchSizeHasOneBatch) {
  const int64_t huge = std::numeric_limits<int64_t>::max();
  data::DataLoader loader(zeros({5, 2}), zeros({5}, kLong), huge);
  EXPECT_EQ(loader.size(), 1u);
  int64_t seen = 0;
  for (const data::Batch& b : loader) seen += b.data.size(0);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(data::DataLoader(zeros({5, 2}), zeros({5}, kLong), 2).size(), 3u);
  EXPECT_EQ(data::DataLoader(zeros({5, 2}), zeros({5}, kLong), 2, false, 0, /*drop_last=*/true).size(), 2u);
}

// Note [In-place on views of tensors without grad]: a value that requires grad
// written into a view of a tensor that does not gave the view a history and left
// the tensor without one: after out[0] = (x * x).sum(), (out.sum() + x.sum())
// .backward() gave x.grad() = [1, 1] instead of libtorch's [3, 5], silently.
TEST(Regressions, AValueThatRequiresGradWrittenIntoAViewIsRefused) {
  const Tensor x = tensor({1.0f, 2.0f}, TensorOptions().requires_grad(true));
  Tensor out = zeros({3});
  const char* refused = "tensorgrad does not support writing a value that requires grad into a view of a tensor";
  EXPECT_THROW_MSG(out[0] = (x * x).sum(), refused);
  EXPECT_THROW_MSG(out.narrow(0, 0, 2).copy_(x * 3), refused);
  EXPECT_THROW_MSG(out.index_put_({Slice(0, 2)}, x * 4), refused);
  EXPECT_THROW_MSG(out.narrow(0, 0, 2).add_(x), refused);
  EXPECT_THROW_MSG(out.narrow(0, 1, 2).mul_(x), refused);
  EXPECT_TENSOR(out, {3}, {0, 0, 0});
  EXPECT_FALSE(out.requires_grad());
  {
    NoGradGuard no_grad;
    out[0] = (x * x).sum();
  }
  out.narrow(0, 1, 2).copy_(x.detach());
  EXPECT_TENSOR(out, {3}, {5, 1, 2});
  // The whole tensor takes the history, as in libtorch.
  const Tensor z = zeros({2});
  z.copy_(x * 3);
  (z.sum() + x.sum()).backward();
  EXPECT_TENSOR(x.grad(), {2}, {4, 4});
}

// retain_grad() kept the gradient after every hook of the tensor; in libtorch 1.13
// it is a hook of its own, so hooks registered after it change only the gradient
// passed on (PyTorch 1.13: y.grad [3, 3], x.grad [30, 30]).
TEST(Regressions, RetainGradKeepsTheGradientOfTheHooksRegisteredBeforeIt) {
  const Tensor x = tensor({1.0, 2.0}, TensorOptions().dtype(kDouble).requires_grad(true));
  const Tensor y = x * 2;
  y.register_hook([](const Tensor& g) { return g + 1; });
  y.retain_grad();
  y.register_hook([](const Tensor& g) { return g * 5; });
  (y * 3).sum().backward();
  EXPECT_TENSOR(y.grad(), {2}, {4, 4});
  EXPECT_TENSOR(x.grad(), {2}, {40, 40});
  const Tensor w = tensor({1.0, 2.0}, TensorOptions().dtype(kDouble).requires_grad(true));
  const Tensor v = w * 2;
  v.retain_grad();
  (v * 3).sum().backward();
  EXPECT_TENSOR(v.grad(), {2}, {3, 3});
}

// equal() of two dtypes was false; libtorch compares the values after promotion.
TEST(Regressions, EqualComparesValuesAcrossDtypes) {
  EXPECT_TRUE(equal(tensor({1.0f}), tensor({1.0}, kDouble)));
  EXPECT_TRUE(equal(tensor({int64_t{1}}), tensor({1.0f})));
  EXPECT_TRUE(equal(tensor({true}), tensor({int64_t{1}})));
  EXPECT_FALSE(equal(tensor({1.5f}), tensor({int64_t{1}})));
  EXPECT_FALSE(equal(tensor({0.1f}), tensor({0.1}, kDouble)));
}

// A view taken before its base took a history through an in-place op stayed a
// constant (or kept the base's old history): after z.copy_(x * 3), v = a view of z
// taken before gave (v.sum() + x.sum()).backward() x.grad [1, 1, 1], where
// libtorch's rebuilt view gives [4, 4, 1]. Autograd now refuses such a view.
TEST(Regressions, AViewTakenBeforeItsBaseTookAHistoryIsRefused) {
  const char* stale = "a view is used in autograd after its base was modified by an in-place operation";
  const Tensor x = tensor({1.0f, 2.0f, 3.0f}, TensorOptions().requires_grad(true));
  const Tensor z = zeros({3});
  const Tensor v = z.narrow(0, 0, 2);
  z.copy_(x * 3);
  EXPECT_THROW_MSG(v.sum() + x.sum(), stale);
  {
    NoGradGuard no_grad;
    EXPECT_TENSOR(v * 1, {2}, {3, 6});
  }
  (z.narrow(0, 0, 2).sum() + x.sum()).backward();
  EXPECT_TENSOR(x.grad(), {3}, {4, 4, 1});
  // A view of a tensor that requires grad, when the tensor takes a new history.
  const Tensor y = x * 2;
  const Tensor w = y.narrow(0, 0, 2);
  y.copy_(x * 5);
  EXPECT_THROW_MSG(w.sum().backward(), stale);
  const Tensor t = x * 2;
  const Tensor u = t.narrow(0, 1, 2);
  t.fill_(1);
  EXPECT_THROW_MSG(u.sum().backward(), stale);
}

// The engine summed a second gradient in place into the first when it held the
// only reference, also when the first was expanded (sum's gradient): every
// element shares one float, so x.sum() + (x * 3).narrow(0, 0, 2).sum() gave
// x.grad [7, 7, 7]. Found by the internal-overlap check of in-place ops.
TEST(Regressions, GradientsMeetingAnExpandedGradientAreSummedOutOfPlace) {
  const Tensor x = tensor({1.0f, 2.0f, 3.0f}, TensorOptions().requires_grad(true));
  (x.sum() + (x * 3).narrow(0, 0, 2).sum()).backward();
  EXPECT_TENSOR(x.grad(), {3}, {4, 4, 1});
  const Tensor y = tensor({1.0, 2.0}, TensorOptions().dtype(kDouble).requires_grad(true));
  ((y * 2).sum() + y.mean() + (y * y).sum()).backward();
  EXPECT_TENSOR(y.grad(), {2}, {4.5, 6.5});
}

// autograd::grad returns the gradient as it reaches the input, before the input's
// own hooks run (libtorch 1.13: [2, 4, 6], not [20, 40, 60]); a hook behind the
// input still changes what flows through it.
TEST(Regressions, GradCapturesBeforeTheInputsHooks) {
  Tensor x = tensor({1.0, 2.0, 3.0}, dtype(kDouble).requires_grad(true));
  x.register_hook([](const Tensor& g) { return g * 10; });
  EXPECT_TENSOR(autograd::grad({(x * x).sum()}, {x})[0], {3}, {2, 4, 6});
  Tensor h = x * 1;
  h.register_hook([](const Tensor& g) { return g * 10; });
  EXPECT_TENSOR(autograd::grad({(h * h).sum()}, {h})[0], {3}, {2, 4, 6});
  EXPECT_TENSOR(autograd::grad({(h * h).sum()}, {x})[0], {3}, {20, 40, 60});
}

// Hooks ran with grad mode on during a plain backward: what they computed
// recorded a graph, and an in-place update of a parameter inside one raised.
TEST(Regressions, HooksRunInTheGradModeOfThePass) {
  Tensor w = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  Tensor x = tensor({3.0, 4.0}, dtype(kDouble).requires_grad(true));
  Tensor y = x * 2;
  std::vector<bool> modes;
  y.register_hook([&](const Tensor& g) {
    modes.push_back(GradMode::is_enabled());
    if (!GradMode::is_enabled()) w.add_(g);
  });
  y.sum().backward(Tensor(), /*retain_graph=*/true);
  EXPECT_TENSOR(w, {2}, {2, 3});
  autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  EXPECT_EQ(modes, (std::vector<bool>{false, true}));
}

// A leaf whose requires_grad was turned off between the forward and the backward
// takes no gradient, as in libtorch.
TEST(Regressions, ALeafThatStoppedRequiringGradTakesNoGradient) {
  Tensor x = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  Tensor y = (x * x).sum();
  x.requires_grad_(false);
  y.backward();
  EXPECT_FALSE(x.grad().defined());
  // The same through a linear layer, whose weight gradient a GEMM adds into .grad.
  nn::Linear fc(3, 2);
  fc->forward(ones({4, 3})).sum().backward();
  const Tensor before = fc->weight.grad().clone();
  Tensor loss = fc->forward(ones({4, 3})).sum();
  fc->weight.requires_grad_(false);
  loss.backward();
  EXPECT_TRUE(equal(fc->weight.grad(), before));
}

// A gradient taken with create_graph through relu, leaky_relu or max_pool2d alone
// did not require grad (their backward was built from a mask), so differentiating
// it raised; libtorch's has an edge to the input whose gradient is 0. The same for
// the third derivative of x.pow(2).
TEST(Regressions, PiecewiseLinearGradientsStayDifferentiable) {
  const Tensor x0 = tensor({{-1.0, 2.0, 0.5, 3.0}, {1.5, -2.0, 0.25, 4.0}}, dtype(kDouble));
  const std::vector<std::function<Tensor(const Tensor&)>> fns = {
      [](const Tensor& x) { return relu(x); },
      [](const Tensor& x) { return leaky_relu(x, 0.1); },
      [](const Tensor& x) { return nn::functional::max_pool2d(x.view({1, 1, 2, 4}), nn::functional::MaxPool2dFuncOptions(2)); },
  };
  for (const auto& fn : fns) {
    Tensor x = x0.clone().requires_grad_(true);
    Tensor g = autograd::grad({fn(x).sum()}, {x}, {}, {}, /*create_graph=*/true)[0];
    ASSERT_TRUE(g.requires_grad());
    EXPECT_TENSOR(autograd::grad({(g * g).sum()}, {x})[0], {2, 4}, {0, 0, 0, 0, 0, 0, 0, 0});
  }
  Tensor x = tensor({1.0, -2.0}, dtype(kDouble).requires_grad(true));
  Tensor d1 = autograd::grad({x.pow(2).sum()}, {x}, {}, {}, true)[0];
  Tensor d2 = autograd::grad({d1.sum()}, {x}, {}, {}, true)[0];
  EXPECT_TENSOR(d2, {2}, {2, 2});
  ASSERT_TRUE(d2.requires_grad());
  EXPECT_TENSOR(autograd::grad({d2.sum()}, {x})[0], {2}, {0, 0});
}

// The target gradient of binary_cross_entropy_with_logits with pos_weight, under
// create_graph, was built of min and |x|, whose derivatives at x = 0 gave
// d2/dx dt = -3, not -sigmoid(0) - 2 sigmoid(0) = -1.5.
TEST(Regressions, BceWithLogitsTargetGradientIsSmoothAtZero) {
  Tensor x = tensor({0.0, 0.5}, dtype(kDouble).requires_grad(true));
  Tensor t = tensor({0.3, 0.3}, dtype(kDouble).requires_grad(true));
  const Tensor pos_weight = tensor({2.0, 2.0}, dtype(kDouble));
  namespace F = nn::functional;
  Tensor loss = F::binary_cross_entropy_with_logits(
      x, t, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pos_weight).reduction(kSum));
  Tensor gt = autograd::grad({loss}, {t}, {}, {}, true)[0];
  EXPECT_TENSOR(gt, {2}, {0.6931471806, -0.02592301582});
  EXPECT_TENSOR(autograd::grad({gt.sum()}, {x})[0], {2}, {-1.5, -1.3775406688});
}

// mse_loss promotes in the forward, but libtorch's backward refuses a target of
// another dtype than the input (tensorgrad cast it and went on).
TEST(Regressions, MseLossBackwardRefusesMixedDtypes) {
  namespace F = nn::functional;
  Tensor x = tensor({1.0f, 2.0f, 3.0f}, requires_grad());
  EXPECT_THROW_MSG(F::mse_loss(x, tensor({1.0, 0.0, 2.0}, dtype(kDouble))).backward(),
                   "Found dtype Double but expected Float");
  Tensor d = tensor({1.0, 2.0, 3.0}, dtype(kDouble).requires_grad(true));
  EXPECT_THROW_MSG(F::mse_loss(d, tensor({1, 0, 2})).backward(), "Found dtype Long but expected Double");
  Tensor t = tensor({1.0, 0.0, 2.0}, dtype(kDouble).requires_grad(true));
  EXPECT_THROW_MSG(F::mse_loss(tensor({1.0f, 2.0f, 3.0f}), t).backward(), "Found dtype Float but expected Double");
}

// flatten(1) of a 0-d tensor gave [1]; libtorch checks the dims first.
TEST(Regressions, FlattenOfAScalarChecksItsDims) {
  EXPECT_THROW_MSG(ones({}).flatten(1), "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  EXPECT_THROW_MSG(nn::Flatten()->forward(ones({})), "Dimension out of range");
  EXPECT_EQ(ones({}).flatten(0, -1).sizes().vec(), std::vector<int64_t>{1});
}

// allclose took any finite value for close to an infinity (|x - inf| <= inf), and
// compared tensors of different dtypes; libtorch's isclose needs a finite
// difference and equal dtypes.
TEST(Regressions, AllcloseNeedsAFiniteDifference) {
  EXPECT_FALSE(allclose(tensor({1.0f}), tensor({kInf})));
  EXPECT_FALSE(allclose(tensor({kInf}), tensor({-kInf})));
  EXPECT_FALSE(allclose(tensor({1e30f}), tensor({-kInf})));
  EXPECT_TRUE(allclose(tensor({kInf, 1.0}), tensor({kInf, 1.0 + 1e-9})));
  EXPECT_TRUE(allclose(tensor({1, 2}), tensor({1, 2})));
  EXPECT_FALSE(allclose(tensor({1, 2}), tensor({1, 3})));
  EXPECT_THROW_MSG(allclose(tensor({1}), tensor({1.0f})), "Long did not match Float");
}

// A Bool tensor plus a bool scalar stays Bool (true + true is true), as in
// libtorch; it gave the Long 2. A bool alpha needs a Bool result, an int alpha is
// fine with one.
TEST(Regressions, BoolPlusBoolScalarStaysBool) {
  const Tensor b = tensor({true, false, true});
  for (const Tensor& r : {b + true, b.add(true), true + b}) {
    EXPECT_EQ(r.dtype(), kBool);
    EXPECT_TENSOR(r, {3}, {1, 1, 1});
  }
  EXPECT_TENSOR(b.add(b, 2), {3}, {1, 0, 1});
  EXPECT_THROW_MSG(ones({2}).add(ones({2}), true), "Boolean alpha only supported for Boolean results.");
  EXPECT_THROW_MSG(tensor({1, 2}).add(tensor({1, 2}), true), "Boolean alpha only supported for Boolean results.");
  EXPECT_TENSOR(tensor({1, 2}) + true, {2}, {2, 3});
}

// arange with an int64 dtype and fractional bounds took its length from the
// doubles and its values from the truncated ints; libtorch converts first.
TEST(Regressions, ArangeConvertsItsBoundsToTheOutputTypeFirst) {
  EXPECT_TENSOR(arange(-2.5, 2, dtype(kLong)), {4}, {-2, -1, 0, 1});
  EXPECT_TENSOR(arange(0.5, 4.5, 1.5, dtype(kLong)), {4}, {0, 1, 2, 3});
  EXPECT_THROW_MSG(arange(0, 1, 0.1, dtype(kLong)), "step must be nonzero");
  EXPECT_THROW_MSG(arange(5, dtype(kBool)), "\"arange_cpu\" not implemented for 'Bool'");
  EXPECT_TENSOR(arange(10, 0, -3), {4}, {10, 7, 4, 1});
  EXPECT_TENSOR(arange(0, 1, 0.3, dtype(kDouble)), {4}, {0, 0.3, 0.6, 0.9});
}

// item<int>() wrapped and item<float>() overflowed to inf; libtorch raises.
TEST(Regressions, ItemRaisesWhenTheTypeCannotHoldTheValue) {
  EXPECT_THROW_MSG(tensor(int64_t{3000000000}).item<int>(), "value cannot be converted to type int without overflow");
  EXPECT_THROW_MSG(tensor(1e10, dtype(kDouble)).item<int>(), "value cannot be converted to type int without overflow");
  EXPECT_THROW_MSG(tensor(1e300, dtype(kDouble)).item<float>(),
                   "value cannot be converted to type float without overflow");
  EXPECT_EQ(tensor(int64_t{-2147483648}).item<int>(), -2147483647 - 1);
  EXPECT_EQ(tensor(kInf, dtype(kDouble)).item<float>(), std::numeric_limits<float>::infinity());
  EXPECT_EQ(tensor(-7.9, dtype(kDouble)).item<int>(), -7);
}

// An int64 tensor exponent with negative entries raised; libtorch computes them
// (1 for base 1, +-1 for base -1, 0 otherwise). A Bool result raises.
TEST(Regressions, IntegerPowersWithNegativeTensorExponents) {
  EXPECT_TENSOR(pow(tensor({1, -1, 2, 0, -1}), tensor({-3, -3, -1, 2, -2})), {5}, {1, -1, 0, 0, 1});
  EXPECT_TENSOR(pow(2, tensor({-1, 0, 3})), {3}, {0, 1, 8});
  EXPECT_THROW_MSG(tensor({2}).pow(-1), "Integers to negative integer powers are not allowed.");
  const Tensor b = tensor({true, false});
  EXPECT_THROW_MSG(pow(b, b), "\"pow\" not implemented for 'Bool'");
  EXPECT_THROW_MSG(b.pow(true), "\"pow\" not implemented for 'Bool'");
  EXPECT_THROW_MSG(pow(true, b), "\"pow\" not implemented for 'Bool'");
  EXPECT_TENSOR(b.pow(2), {2}, {1, 0});
}

// Error cases and dtypes that differed from libtorch's (found comparing the two).
TEST(Regressions, SmallerDifferencesFromLibtorch) {
  const Tensor x = arange(10.0);
  EXPECT_THROW_MSG(x.narrow(0, 2, -1), "start (2) + length (-1) exceeds dimension size (10).");
  EXPECT_THROW_MSG(x.narrow(0, -11, 1), "Dimension out of range (expected to be in range of [-10, 9], but got -11)");
  EXPECT_THROW_MSG(x.narrow(0, -1, 2), "start (9) + length (2) exceeds dimension size (10).");
  EXPECT_EQ(x.narrow(0, 10, 0).numel(), 0);
  const Tensor b = tensor({true, false, true});
  EXPECT_THROW_MSG(b.argmax(), "\"argmax_cpu\" not implemented for 'Bool'");
  EXPECT_THROW_MSG(b.argmin(0), "\"argmin_cpu\" not implemented for 'Bool'");
  EXPECT_THROW_MSG(b.relu(), "Boolean inputs not supported for relu");
  const Tensor clamped = b.clamp(0, 1);
  EXPECT_EQ(clamped.dtype(), kLong);
  EXPECT_TENSOR(clamped, {3}, {1, 0, 1});
  EXPECT_THROW_MSG(b.clamp(true), "\"clamp_min_cpu\" not implemented for 'Bool'");
  const Tensor l = tensor({1, 0, 2});
  EXPECT_EQ(l.sum(kBool).dtype(), kBool);
  EXPECT_TRUE(l.sum(kBool).item<bool>());
  EXPECT_FALSE(zeros({3}, dtype(kLong)).sum(std::vector<int64_t>{0}, false, kBool).item<bool>());
  EXPECT_TRUE(tensor({0.0f, 0.5f}).sum(kBool).item<bool>());
  EXPECT_THROW_MSG(tensor(3.0).sum(std::vector<int64_t>{0, 0}), "dim 0 appears multiple times in the list of dims");
  EXPECT_THROW_MSG(x.mean(kLong), "Optional dtype must be either a floating point or complex dtype. Got: Long");
  EXPECT_THROW_MSG(l.mean(), "Input dtype must be either a floating point or complex dtype. Got: Long");
  EXPECT_THROW_MSG(x.index_select(0, tensor({1.0f})), "index_select(): Expected dtype int32 or int64 for index");
  Tensor w = ones({1}, requires_grad());
  EXPECT_THROW_MSG(autograd::grad({w.sum()}, {}), "grad requires non-empty inputs.");
  // libtorch's C++ index() accepts several ellipses, each skipping the unnamed dims.
  const Tensor m = arange(12).reshape({3, 4});
  EXPECT_TRUE(equal(m.index({Ellipsis, Ellipsis}), m));
  EXPECT_TRUE(equal(m.index({Ellipsis, 0, Ellipsis}), m.select(1, 0)));
  // A bool mask of several dims selects over as many dims, as libtorch's.
  const Tensor cube = arange(24).reshape({2, 3, 4});
  EXPECT_TENSOR(cube.index({cube > 20}), {3}, {21, 22, 23});
  const Tensor rows = tensor({{true, false, true}, {false, false, true}});
  EXPECT_TENSOR(cube.index({rows}), {3, 4}, {0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23});
  EXPECT_TENSOR(cube.index({Slice(), Slice(), tensor({true, false, true, false})}), {2, 3, 2},
                {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22});
  EXPECT_THROW_MSG(cube.index({tensor({{true, false}, {false, true}})}),
                   "The shape of the mask [2, 2] at index 1 does not match the shape of the indexed tensor [2, 3, 4] at index 1");
  // index_put_ drops the value's leading dims of size 1, as libtorch's copy_to.
  Tensor grid = zeros({2, 4});
  grid.index_put_({0}, arange(4.0).reshape({1, 1, 4}));
  EXPECT_TENSOR(grid, {2, 4}, {0, 1, 2, 3, 0, 0, 0, 0});
}

// relu(-0.0) gave +0.0; libtorch keeps -0.0.
TEST(Regressions, ReluKeepsNegativeZero) {
  const Tensor r = relu(tensor({-0.0, -1.0, kNaN, 2.0}, dtype(kDouble)));
  EXPECT_TRUE(std::signbit(r[0].item<double>()));
  EXPECT_EQ(r[1].item<double>(), 0.0);
  EXPECT_FALSE(std::signbit(r[1].item<double>()));
  EXPECT_TRUE(std::isnan(r[2].item<double>()));
}

// copy_ into an integer or bool tensor gave it a history, so its values took
// part in the gradient: w.grad was [4, 4, 4], not [2, 2, 2].
TEST(Regressions, CopyIntoAnIntegerTensorRecordsNothing) {
  Tensor w = full({3}, 2.5f, requires_grad());
  Tensor a = zeros({3}, dtype(kLong));
  a.copy_(w);
  EXPECT_FALSE(a.requires_grad());
  EXPECT_TRUE(a.is_leaf());
  (a * w).sum().backward();
  EXPECT_TENSOR(w.grad(), {3}, {2, 2, 2});
}

// In-place ops on float32 with a float64 operand cast the operand to float32
// first (x.div_(1e39) gave 0); libtorch computes in float64 and rounds once. An
// alpha goes through add's checks and rounding, as out of place.
TEST(Regressions, InPlaceOpsComputeInThePromotedType) {
  Tensor x = tensor({1.0f});
  x.div_(tensor({1e39}, dtype(kDouble)));
  EXPECT_FLOAT_EQ(x.item<float>(), 1e-39f);
  Tensor y = tensor({1e-30f});
  y.mul_(tensor({1e39}, dtype(kDouble)));
  EXPECT_FLOAT_EQ(y.item<float>(), 1e9f);
  Tensor z = tensor({0.6404226422309875f});
  z.add_(tensor({-0.8576999593888491}, dtype(kDouble)));
  EXPECT_EQ(z.item<float>(), static_cast<float>(0.6404226422309875f - 0.8576999593888491));
  const Tensor a = tensor({0.1257302165f, 0.5f}), b = tensor({1.1839019060f, 0.25f});
  Tensor c = a.clone();
  c.add_(b, 3);
  EXPECT_TRUE(equal(c, add(a, b, 3)));
  Tensor l = tensor({1, 2, 3});
  EXPECT_THROW_MSG(l.add_(l, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_THROW_MSG(l.sub_(l, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_THROW_MSG(l.add_(2, 2.5), "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_THROW_MSG(ones({2}).add_(1, true), "Boolean alpha only supported for Boolean results.");
  EXPECT_THROW_MSG(l.add_(l, true), "Boolean alpha only supported for Boolean results.");
}

// The result of a reshape that had to copy was marked a view, so an in-place op
// on it under autograd was refused; libtorch's _unsafe_view is not a view.
TEST(Regressions, AReshapeThatCopiedIsNotAView) {
  Tensor w = arange(6.0).reshape({2, 3}).requires_grad_(true);
  Tensor y = (w * 2).t().reshape({6});
  y.mul_(3);
  y.sum().backward();
  EXPECT_TENSOR(w.grad(), {2, 3}, {6, 6, 6, 6, 6, 6});
}

// fill_ takes a 0-dim tensor as libtorch's does, and refuses a finite value
// beyond float's range.
TEST(Regressions, FillWithATensorAndFloatOverflow) {
  Tensor x = zeros({3});
  x.fill_(tensor(2.5));
  EXPECT_TENSOR(x, {3}, {2.5, 2.5, 2.5});
  EXPECT_THROW_MSG(x.fill_(ones({2})), "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.");
  Tensor v = tensor(2.5, requires_grad());
  Tensor y = zeros({3});
  y.fill_(v);
  (y * tensor({1.0f, 2.0f, 3.0f})).sum().backward();
  EXPECT_TENSOR(v.grad(), {}, {6});
  EXPECT_THROW_MSG(x.fill_(1e300), "value cannot be converted to type float without overflow");
  EXPECT_THROW_MSG(full({2}, 1e300), "value cannot be converted to type float without overflow");
  EXPECT_TRUE(std::isinf(full({1}, kInf).item<float>()));
}

// detach_() took a view of a tensor without grad (or of integers), where libtorch
// refuses every view; a gradient stolen from a view's buffer must still take
// detach_(), which every optimizer's zero_grad() calls.
TEST(Regressions, DetachInPlaceRefusesEveryViewButNotAStolenGradient) {
  EXPECT_THROW_MSG(zeros({3}).slice(0, 1).detach_(), "Can't detach views in-place. Use detach() instead.");
  EXPECT_THROW_MSG(arange(3).slice(0, 1).detach_(), "Can't detach views in-place");
  EXPECT_THROW_MSG(zeros({2, 3}).reshape({3, 2}).detach_(), "Can't detach views in-place");
  const Tensor own = zeros({3}).detach();
  EXPECT_NO_THROW(own.detach_());

  const Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_();
  (w.t().t() * tensor({1.0, 10.0})).sum().backward();
  optim::SGD sgd({w}, optim::SGDOptions(0.1));
  sgd.zero_grad();
  EXPECT_TENSOR(w.grad(), {2, 2}, {0, 0, 0, 0});
}

// The binary cross entropy gradient floored x * (1 - x) at 1e-12 in double;
// libtorch floors it at 1e-12 as a float, also in float64.
TEST(Regressions, BinaryCrossEntropyGradientFloorIsAFloat) {
  const Tensor x = tensor({0.0, 1.0}, kDouble).requires_grad_();
  nn::functional::binary_cross_entropy(x, tensor({0.2, 0.5}, kDouble),
                                       nn::functional::BinaryCrossEntropyFuncOptions().reduction(kSum))
      .backward();
  EXPECT_TENSOR(x.grad(), {2}, {-2.00000000799160583e+11, 5.00000001997901428e+11});
}

// With every row ignored, the mean's create_graph gradient divided by a total
// weight of 0, and its derivative made inf * 0 = NaN of the masked rows.
TEST(Regressions, CrossEntropySecondDerivativeWithEveryRowIgnoredIsZero) {
  const Tensor x = tensor({{0.3, -1.2, 0.8}, {1.0, 0.1, -0.4}}, kDouble).requires_grad_();
  const Tensor g = autograd::grad({nn::functional::cross_entropy(x, tensor({-100, -100}))}, {x}, {}, true, true)[0];
  EXPECT_TENSOR(g, {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_TENSOR(autograd::grad({(g * (g.detach() + 1)).sum()}, {x})[0], {2, 3}, {0, 0, 0, 0, 0, 0});
}

// nll_loss's create_graph gradient kept no edge to its input: it did not require
// grad, and differentiating it raised. libtorch's keeps one, with derivative 0.
TEST(Regressions, NllLossGradientKeepsAnEdgeToItsInput) {
  const Tensor x = tensor({{0.3, -1.2, 0.8}}, kDouble).requires_grad_();
  const Tensor g = autograd::grad({nn::functional::nll_loss(x, tensor({1}))}, {x}, {}, true, true)[0];
  ASSERT_TRUE(g.requires_grad());
  EXPECT_EQ(g.grad_fn()->name(), "NllLossBackwardBackward0");
  EXPECT_TENSOR(g, {1, 3}, {0, -1, 0});
  EXPECT_TENSOR(autograd::grad({g.sum()}, {x})[0], {1, 3}, {0, 0, 0});
}

// After a create_graph backward, a plain one replaced .grad instead of adding
// into it: a handle to the gradient taken in between kept the old values.
TEST(Regressions, PlainBackwardAddsInPlaceIntoAGradientWithHistory) {
  const Tensor x = tensor({0.3, -1.2, 0.8}, kDouble).requires_grad_();
  (x * x * x).sum().backward({}, true, true);
  const Tensor g = x.grad();
  (x * x).sum().backward();
  EXPECT_TENSOR(g, {3}, {0.87, 1.92, 3.52});
  EXPECT_EQ(g.unsafeGetTensorImpl(), x.grad().unsafeGetTensorImpl());
}

// An in-place op on an expanded view of a leaf named the memory overlap, where
// libtorch runs its autograd checks first.
TEST(Regressions, InPlaceOnAnExpandedViewOfALeafNamesTheLeaf) {
  const Tensor w = ones({3, 1}).requires_grad_();
  EXPECT_THROW_MSG(w.expand({3, 4}).add_(1), "a view of a leaf Variable that requires grad is being used in an in-place");
  EXPECT_THROW_MSG(ones({3, 1}).expand({3, 4}).add_(1), "more than one element of the written-to tensor refers to a "
                                                         "single memory location");
}

// linspace(start, end, 1) gave end; libtorch gives start.
TEST(Regressions, LinspaceOfOneStepIsStart) {
  EXPECT_TENSOR(linspace(-0.5, 3.5, 1), {1}, {-0.5});
  EXPECT_TENSOR(linspace(0, 1, 3), {3}, {0, 0.5, 1});
}

// reciprocal's and rsqrt's gradients grouped their products otherwise than
// libtorch's formulas (-g * y * y for -g * (y * y)): 1-ulp differences.
TEST(Regressions, ReciprocalAndRsqrtGradientsRoundAsLibtorch) {
  const Tensor x = tensor({-3.0f, 0.7f, 5.1f}).requires_grad_();
  (x.reciprocal() * 18).sum().backward();
  EXPECT_EQ(x.grad().data_ptr<float>()[0], -2.0000002384f);
  EXPECT_EQ(x.grad().data_ptr<float>()[1], -36.7346954346f);
  const Tensor z = tensor({0.3f, 0.7f, 5.1f}).requires_grad_();
  (z.rsqrt() * 18).sum().backward();
  EXPECT_EQ(z.grad().data_ptr<float>()[0], -54.7722473145f);
  EXPECT_EQ(z.grad().data_ptr<float>()[2], -0.7814248800f);
}

// prelu's create_graph input gradient kept no edge to its input: with a weight
// that needs no gradient, differentiating it raised.
TEST(Regressions, PreluGradientKeepsAnEdgeToItsInput) {
  const Tensor x = tensor({-1.0, 2.0}).requires_grad_();
  const Tensor g = autograd::grad({prelu(x, tensor({0.25})).sum()}, {x}, {}, true, true)[0];
  EXPECT_TENSOR(g, {2}, {0.25, 1});
  g.sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {0, 0});
}

// Numbers beyond float's range given to a float op's scalar parameters became
// inf; libtorch's Scalar::to<float> raises (number operands, as x + 1e39, still
// convert to inf, as libtorch's wrapped numbers).
TEST(Regressions, ScalarParametersBeyondFloatRaise) {
  const Tensor x = tensor({1.0f, -2.0f});
  const char* overflow = "value cannot be converted to type float without overflow";
  EXPECT_THROW_MSG(x.clamp(-1e39, 1e39), overflow);
  EXPECT_THROW_MSG(x.clamp_min(1e39), overflow);
  EXPECT_THROW_MSG(leaky_relu(x, 1e39), overflow);
  EXPECT_THROW_MSG(x.add(x, 1e39), overflow);
  EXPECT_THROW_MSG(x.add(1.0, 1e39), overflow);
  EXPECT_THROW_MSG(x.sub(1.0, 1e39), overflow);
  EXPECT_THROW_MSG(1e39 - x, overflow);
  EXPECT_THROW_MSG(full({2}, 1e39), overflow);
  EXPECT_TENSOR(x + 1e39, {2}, {kInf, kInf});
  EXPECT_TENSOR(x * 1e39, {2}, {kInf, -kInf});
  EXPECT_TENSOR(x.clamp(-kInf, kInf), {2}, {1, -2});
  EXPECT_TENSOR(x.to(kDouble).clamp(-1e39, 1e39), {2}, {1, -2});
}

// Empty reductions: amax over given dims used the whole-reduction message (as an
// IndexError), argmax() added a hint libtorch's lacks; where's broadcast error
// named its operands in another order than libtorch's.
TEST(Regressions, EmptyReductionAndWhereMessagesAsLibtorch) {
  EXPECT_THROW_MSG(zeros({0}).amax(0), "amax(): Expected reduction dim 0 to have non-zero size.");
  EXPECT_THROW_MSG(zeros({2, 0, 3}).amax(-2), "amax(): Expected reduction dim -2 to have non-zero size.");
  EXPECT_THROW_MSG(zeros({3, 0}).amax({0, 1}), "amax(): Expected reduction dim 1 to have non-zero size.");
  EXPECT_THROW_MSG(zeros({2, 0, 3}).argmax(-2), "argmax(): Expected reduction dim 1 to have non-zero size.");
  EXPECT_THROW(zeros({0}).amax(0), IndexError);
  EXPECT_THROW_MSG(zeros({0}).amax(), "amax(): Expected reduction dim to be specified for input.numel() == 0. "
                                      "Specify the reduction dim with the 'dim' argument.");
  EXPECT_THROW_MSG(zeros({0}).max(), "max(): Expected reduction dim to be specified for input.numel() == 0.");
  bool index_error = false;
  try {
    zeros({0}).max();
  } catch (const IndexError&) {
    index_error = true;
  } catch (const Error&) {
  }
  EXPECT_FALSE(index_error);  // a RuntimeError in libtorch
  EXPECT_THROW(zeros({0}).argmax(), IndexError);
  EXPECT_FALSE(::tg::testing::throws_with([] { zeros({0}).argmax(); }, "Specify"));
  EXPECT_THROW_MSG(where(zeros({3, 4}) > 0, zeros({2, 3, 3}), zeros({4})),
                   "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 2");
}
