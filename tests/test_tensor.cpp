// The tensor core with concrete values: creation functions, inspection (sizes,
// strides, offsets, dimension errors), operator<< text, views sharing storage,
// reshape copying only when it must, contiguous(), aligned storage. The layouts
// and printed text are libtorch 1.13's (compared with libtorch itself in
// test_tensor_torch.cpp).
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.h"

namespace tg {
namespace {

using Shape = std::vector<int64_t>;

std::string printed(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

// ---- creation -------------------------------------------------------------------------------------
TEST(Creation, RandnIsStandardNormalAndRepeatable) {
  // Box-Muller over blocks of 256 pairs, transformed in vector lanes: the moments
  // and tail fractions of a standard normal, in float and double, the same
  // elements for a seed whatever the length (an odd length drops the last
  // pair's second normal), and each element independent of the block it is in.
  for (ScalarType dt : {kFloat, kDouble}) {
    SCOPED_TRACE(::testing::Message() << dt);
    manual_seed(5);
    const Tensor x = randn({1000001}, dtype(dt)).to(kDouble);
    const double mean = x.mean().item<double>(), sd = (x - mean).square().mean().sqrt().item<double>();
    EXPECT_NEAR(mean, 0.0, 0.004);
    EXPECT_NEAR(sd, 1.0, 0.004);
    EXPECT_NEAR((x.abs() > 1.959964).to(kDouble).mean().item<double>(), 0.05, 0.001);
    EXPECT_NEAR((x > 3.0).to(kDouble).mean().item<double>(), 0.00135, 0.0002);
    EXPECT_NEAR((x < -3.0).to(kDouble).mean().item<double>(), 0.00135, 0.0002);
    // Pairs (cos, sin) cover every quadrant of the angle equally.
    const Tensor pairs = x.narrow(0, 0, 1000000).reshape({500000, 2});
    const Tensor c = pairs.select(1, 0), s = pairs.select(1, 1);
    EXPECT_NEAR(((c > 0) * (s > 0)).to(kDouble).mean().item<double>(), 0.25, 0.003);
    EXPECT_NEAR(((c < 0) * (s > 0)).to(kDouble).mean().item<double>(), 0.25, 0.003);
    manual_seed(5);
    const Tensor shorter = randn({513}, dtype(dt)).to(kDouble);
    EXPECT_TRUE(equal(shorter, x.narrow(0, 0, 513)));
  }
}

TEST(Creation, BernoulliDrawsEachElementWithItsOwnProbability) {
  // Probabilities 0, 0.1, 0.9 and 1 in turn over 40,003 elements (blocks of 512
  // uniforms and a partial one).
  std::vector<double> probabilities(40003);
  const double levels[4] = {0.0, 0.1, 0.9, 1.0};
  for (size_t i = 0; i < probabilities.size(); ++i) probabilities[i] = levels[i % 4];
  manual_seed(11);
  const Tensor p = tensor(probabilities, kDouble);
  const Tensor draw = bernoulli(p.to(kFloat)).to(kDouble);
  EXPECT_TRUE(equal(draw * (draw - 1), zeros({40003}, kDouble)));  // every draw is 0 or 1
  for (int level = 0; level < 4; ++level) {
    const Tensor picked = draw.slice(0, level, 40003, 4);
    EXPECT_NEAR(picked.mean().item<double>(), levels[level], level == 0 || level == 3 ? 0.0 : 0.01) << level;
  }
  manual_seed(11);
  EXPECT_TRUE(equal(bernoulli(p).to(kDouble), draw));  // the same uniforms in double
  // libtorch's check: every probability in [0, 1], NaN refused.
  for (double bad : {-0.5, 1.5, std::nan("")})
    EXPECT_THROW_MSG(bernoulli(tensor({0.5, bad})), "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
}

TEST(Creation, EyeIsTheIdentity) {
  Tensor e = eye(3);
  EXPECT_EQ(e.dtype(), kFloat);
  EXPECT_TENSOR(e, {3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  Tensor r = eye(2, 4);
  EXPECT_TENSOR(r, {2, 4}, {1, 0, 0, 0, 0, 1, 0, 0});
  Tensor tall = eye(3, 2, kLong);
  EXPECT_EQ(tall.dtype(), kLong);
  EXPECT_TENSOR(tall, {3, 2}, {1, 0, 0, 1, 0, 0});
  EXPECT_EQ(eye(2, dtype(kDouble)).dtype(), kDouble);
  EXPECT_EQ(eye(0).numel(), 0);
}

TEST(Creation, ArangeInfersItsDtypeFromTheBounds) {
  Tensor a = arange(5);
  EXPECT_EQ(a.dtype(), kLong);
  EXPECT_TENSOR(a, {5}, {0, 1, 2, 3, 4});
  EXPECT_TENSOR(arange(-2, 2), {4}, {-2, -1, 0, 1});
  EXPECT_TENSOR(arange(0, 10, 3), {4}, {0, 3, 6, 9});
  EXPECT_TENSOR(arange(5, 0, -2), {3}, {5, 3, 1});
  Tensor f = arange(0.0, 1.0, 0.25);
  EXPECT_EQ(f.dtype(), kFloat);
  EXPECT_TENSOR(f, {4}, {0, 0.25, 0.5, 0.75});
  Tensor h = arange(2.5);
  EXPECT_EQ(h.dtype(), kFloat);
  EXPECT_TENSOR(h, {3}, {0, 1, 2});
  EXPECT_EQ(arange(4, kDouble).dtype(), kDouble);
  EXPECT_EQ(arange(3, 3).numel(), 0);
}

TEST(Creation, FullFillsWithTheValueAndInfersTheDtype) {
  Tensor f = full({2, 3}, 1.5);
  EXPECT_EQ(f.dtype(), kFloat);
  EXPECT_TENSOR(f, {2, 3}, {1.5, 1.5, 1.5, 1.5, 1.5, 1.5});
  Tensor i = full({2}, 7);  // libtorch 1.13: an integer fill value gives int64
  EXPECT_EQ(i.dtype(), kLong);
  EXPECT_TENSOR(i, {2}, {7, 7});
  EXPECT_EQ(full({2, 2}, true).dtype(), kBool);
  Tensor d = full({3}, 2, kDouble);
  EXPECT_EQ(d.dtype(), kDouble);
  EXPECT_TENSOR(d, {3}, {2, 2, 2});
  Tensor s = full({}, -4.25);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<double>(), -4.25);
}

TEST(Creation, FromBlobWrapsTheCallersMemoryWithoutCopying) {
  float buf[6] = {1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(buf, {2, 3});
  EXPECT_EQ(t.data_ptr<float>(), buf);
  EXPECT_EQ(t.dtype(), kFloat);
  EXPECT_EQ(t.strides().vec(), Shape({3, 1}));
  EXPECT_TENSOR(t, {2, 3}, {1, 2, 3, 4, 5, 6});
  buf[4] = -50;  // the caller's writes show through the tensor
  EXPECT_EQ(t.index({1, 1}).item<float>(), -50.0f);
  t.index({0, 2}).fill_(30);  // and the tensor's reach the caller's memory
  EXPECT_EQ(buf[2], 30.0f);
  // Strided: every other element, transposed.
  Tensor s = from_blob(buf, {3, 2}, {2, 1});
  EXPECT_EQ(s.t().strides().vec(), Shape({1, 2}));
  EXPECT_TENSOR(s.t(), {2, 3}, {1, 30, -50, 2, 4, 6});
  int64_t longs[3] = {7, 8, 9};
  Tensor l = from_blob(longs, {3}, kLong);
  EXPECT_EQ(l.data_ptr<int64_t>(), longs);
  EXPECT_TENSOR(l, {3}, {7, 8, 9});
}

TEST(Creation, FromBlobCallsTheDeleterWhenTheLastTensorGoes) {
  static int deleted = 0;
  deleted = 0;
  double buf[2] = {1, 2};
  {
    Tensor t = from_blob(buf, {2}, [](void* p) { deleted += p != nullptr; }, kDouble);
    Tensor v = t.narrow(0, 1, 1);
    t = Tensor();
    EXPECT_EQ(deleted, 0);  // the view still holds the memory
    EXPECT_EQ(v.item<double>(), 2.0);
  }
  EXPECT_EQ(deleted, 1);
}

TEST(Creation, ZerosLikeHasTheShapeAndDtypeButFreshMemory) {
  Tensor x = full({2, 3}, 4.0, kDouble);
  Tensor z = zeros_like(x);
  EXPECT_EQ(z.dtype(), kDouble);
  EXPECT_TENSOR(z, {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(z.is_view_of(x));
  z.fill_(1);
  EXPECT_TENSOR(x, {2, 3}, {4, 4, 4, 4, 4, 4});
  Tensor zl = zeros_like(x, kLong);
  EXPECT_EQ(zl.dtype(), kLong);
  EXPECT_EQ(zl.sizes().vec(), Shape({2, 3}));
  EXPECT_TENSOR(ones_like(arange(3)), {3}, {1, 1, 1});
  EXPECT_EQ(ones_like(arange(3)).dtype(), kLong);
  EXPECT_FALSE(zeros_like(x.requires_grad_()).requires_grad());
}

TEST(Creation, TensorFromNestedListsAndVectors) {
  Tensor t = tensor({{1.5, 2.0}, {3.0, -4.0}});
  EXPECT_EQ(t.dtype(), kFloat);
  EXPECT_TENSOR(t, {2, 2}, {1.5, 2.0, 3.0, -4.0});
  EXPECT_EQ(tensor({1, 2, 3}).dtype(), kLong);
  EXPECT_EQ(tensor({true, false}).dtype(), kBool);
  EXPECT_EQ(tensor(2.5).dim(), 0);
  EXPECT_EQ(tensor({1.0, 2.0}, kDouble).dtype(), kDouble);
  // A vector of doubles gives the default dtype, as in libtorch; with kDouble its
  // values are not rounded through float.
  EXPECT_EQ(tensor(std::vector<double>{1.0, 2.0}).dtype(), kFloat);
  Tensor d = tensor(std::vector<double>{0.1, 2.0}, kDouble);
  EXPECT_EQ(d.dtype(), kDouble);
  EXPECT_EQ(d.index({0}).item<double>(), 0.1);
  EXPECT_EQ(tensor(std::vector<int64_t>{4, -2}).dtype(), kLong);
  // Empty tensors are contiguous whatever their strides.
  EXPECT_TRUE(zeros({2, 3, 4}).transpose(0, 2).slice(1, 2, 1).is_contiguous());
}

// ---- inspection ----------------------------------------------------------------------------------------
TEST(Inspection, DimNumelSizesAndStrides) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_EQ(x.dim(), 3);
  EXPECT_EQ(x.numel(), 24);
  EXPECT_EQ(x.sizes().vec(), Shape({2, 3, 4}));
  EXPECT_EQ(x.sizes().size(), 3u);
  EXPECT_EQ(x.size(0), 2);
  EXPECT_EQ(x.size(-1), 4);
  EXPECT_EQ(x.size(-3), 2);
  EXPECT_EQ(x.strides().vec(), Shape({12, 4, 1}));
  EXPECT_EQ(x.stride(-2), 4);
  EXPECT_EQ(x.storage_offset(), 0);
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_EQ(x.element_size(), 4u);
  EXPECT_EQ(x.nbytes(), 96u);

  Tensor s = tensor(1.0);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_TRUE(s.sizes().empty());
  EXPECT_TRUE(s.strides().empty());

  // Zero-size dims count as 1 in the strides, as in libtorch.
  Tensor e = zeros({2, 0, 3});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.strides().vec(), Shape({3, 3, 1}));
}

TEST(Inspection, OutOfRangeDimsNameTheValidRange) {
  Tensor m = zeros({2, 3});
  EXPECT_THROW_MSG(m.size(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_THROW_MSG(m.size(-3), "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
  EXPECT_THROW_MSG(m.stride(5), "Dimension out of range (expected to be in range of [-2, 1], but got 5)");
  EXPECT_THROW_MSG(m.transpose(0, 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_THROW_MSG(tensor(1.0).size(0), "dimension specified as 0 but tensor has no dimensions");
  EXPECT_THROW(m.size(2), IndexError);
}

// Sizes whose product exceeds int64 raise libtorch's errors instead of wrapping
// around into a small allocation (zeros({INT64_MAX, 2}) wrote past its storage).
// Beside a size-0 dim too, where libtorch accepts them: the kernels' index
// arithmetic multiplies the other extents (sum() of such a tensor overflowed).
TEST(Inspection, SizesWhoseProductOverflowsRaise) {
  constexpr int64_t kHuge = int64_t(1) << 62;
  EXPECT_THROW_MSG(zeros({kHuge, 4}), "Storage size calculation overflowed with sizes=[4611686018427387904, 4]");
  EXPECT_THROW_MSG(zeros({std::numeric_limits<int64_t>::max(), 2}), "Storage size calculation overflowed");
  EXPECT_THROW_MSG(randn({int64_t(1) << 40, int64_t(1) << 30}), "Storage size calculation overflowed");
  // The element count fits int64 but not its bytes.
  EXPECT_THROW_MSG(empty({kHuge}, kDouble), "Storage size calculation overflowed");
  EXPECT_THROW_MSG(ones({1}).expand({int64_t(1) << 40, int64_t(1) << 30}), "numel: integer multiplication overflow");
  EXPECT_THROW_MSG(ones({2}).reshape({kHuge, 4}), "shape '[4611686018427387904, 4]' is invalid for input of size 2");
  EXPECT_THROW_MSG(zeros({0}).reshape({kHuge, 4, -1}), "is invalid for input of size 0");
  EXPECT_THROW_MSG(zeros({0}).reshape({kHuge, 4, 0}), "is invalid for input of size 0");
  EXPECT_THROW_MSG(zeros({kHuge, 4, 0}), "Storage size calculation overflowed with sizes=[4611686018427387904, 4, 0]");
  EXPECT_THROW_MSG(zeros({0, 4}).expand({kHuge, 0, 4}), "numel: integer multiplication overflow");
  EXPECT_EQ(zeros({kHuge, 0}).numel(), 0);
  EXPECT_EQ(zeros({0}).reshape({kHuge, 0}).sizes(), (Shape{kHuge, 0}));
  EXPECT_THROW_MSG(arange(0, 1e30, 1), "invalid size, possible overflow?");
}

// randint of bools draws 0 or 1 only (libtorch's bounds), not larger values cast.
TEST(Creation, RandintOfBoolsKeepsToZeroAndOne) {
  EXPECT_THROW_MSG(randint(0, 5, {4}, kBool), "to - 1 is out of bounds for bool");
  EXPECT_THROW_MSG(randint(-1, 2, {4}, kBool), "from is out of bounds for bool");
  manual_seed(5);
  const Tensor draws = randint(0, 2, {1000}, kBool);
  EXPECT_EQ(draws.dtype(), kBool);
  const int64_t ones = draws.sum().item<int64_t>();
  EXPECT_GT(ones, 400);
  EXPECT_LT(ones, 600);
}

// An undefined tensor's metadata raises instead of dereferencing nothing, so an op
// given one fails with a message (libtorch's undefined tensor answers some of
// these as an empty [0] tensor and refuses it in every op).
TEST(Inspection, UndefinedTensorsRaiseInsteadOfCrashing) {
  const Tensor u, x = ones({2, 2});
  EXPECT_FALSE(u.defined());
  EXPECT_FALSE(u.requires_grad());
  EXPECT_THROW_MSG(u.dim(), "dim() called on an undefined Tensor");
  EXPECT_THROW_MSG(u.sizes(), "sizes() called on an undefined Tensor");
  EXPECT_THROW_MSG(u.size(0), "size(dim) called on an undefined Tensor");
  EXPECT_THROW_MSG(u.stride(0), "stride(dim) called on an undefined Tensor");
  EXPECT_THROW_MSG(u.numel(), "numel() called on an undefined Tensor");
  EXPECT_THROW_MSG(u.dtype(), "dtype() called on an undefined Tensor");
  EXPECT_THROW_MSG(u.data_ptr(), "Cannot access data pointer of Tensor that doesn't have storage");
  EXPECT_THROW_MSG(u.data_ptr<float>(), "Cannot access data pointer of Tensor that doesn't have storage");
  EXPECT_THROW_MSG(u.item<float>(), "item() called on an undefined Tensor");
  EXPECT_THROW_MSG(u.detach(), "detach() called on an undefined Tensor");
  EXPECT_THROW_MSG(x.is_view_of(u), "is_view_of() called on an undefined Tensor");
  // Ops raise at their first look at the undefined input.
  EXPECT_THROW_MSG(u + x, "called on an undefined Tensor");
  EXPECT_THROW_MSG(x * u, "called on an undefined Tensor");
  EXPECT_THROW_MSG(relu(u), "called on an undefined Tensor");
  EXPECT_THROW_MSG(cat({x, u}), "called on an undefined Tensor");
  EXPECT_THROW_MSG(stack({x, u}), "called on an undefined Tensor");
  EXPECT_THROW_MSG(mm(x, u), "called on an undefined Tensor");
  EXPECT_THROW_MSG(u.sum(), "called on an undefined Tensor");
  EXPECT_THROW_MSG(u.clone(), "called on an undefined Tensor");
  EXPECT_THROW_MSG(u.contiguous(), "called on an undefined Tensor");
  EXPECT_THROW_MSG(x.copy_(u), "copy_(): the source is an undefined Tensor");
  EXPECT_THROW_MSG(nn::functional::linear(x, u), "called on an undefined Tensor");
  EXPECT_THROW_MSG(nn::functional::mse_loss(x, u), "called on an undefined Tensor");
  EXPECT_THROW_MSG(u.backward(), "element 0 of tensors is undefined");
  EXPECT_EQ(printed(u), "[ Tensor (undefined) ]");
}

// ---- printing ------------------------------------------------------------------------------------------
// The exact text libtorch 1.13 prints for the same tensors.
TEST(Printing, SmallFloatTensor) {
  EXPECT_EQ(printed(tensor({{1.5, -2.0, 3.25}, {0.0, 4.0, -5.5}})),
            " 1.5000 -2.0000  3.2500\n"
            " 0.0000  4.0000 -5.5000\n"
            "[ CPUFloatType{2,3} ]");
  EXPECT_EQ(printed(arange(6, kFloat).reshape({2, 3})),
            " 0  1  2\n"
            " 3  4  5\n"
            "[ CPUFloatType{2,3} ]");
  EXPECT_EQ(printed(tensor({1.0, 2.5}, kDouble)),
            " 1.0000\n"
            " 2.5000\n"
            "[ CPUDoubleType{2} ]");
  EXPECT_EQ(printed(tensor({0.001, 1000.0})),
            " 1.0000e-03\n"
            " 1.0000e+03\n"
            "[ CPUFloatType{2} ]");
}

TEST(Printing, Int64AndBoolTensors) {
  EXPECT_EQ(printed(tensor({1, 2, 3})),
            " 1\n"
            " 2\n"
            " 3\n"
            "[ CPULongType{3} ]");
  EXPECT_EQ(printed(tensor({true, false})),
            " 1\n"
            " 0\n"
            "[ CPUBoolType{2} ]");
  EXPECT_EQ(printed(eye(3, kLong)),
            " 1  0  0\n"
            " 0  1  0\n"
            " 0  0  1\n"
            "[ CPULongType{3,3} ]");
}

TEST(Printing, SlicesOfHigherDimsInLibtorchsOrder) {
  // The first leading index varies fastest; each slice is indented by one space.
  EXPECT_EQ(printed(arange(8).reshape({2, 2, 1, 2})),
            "(1,1,.,.) = \n  0  1\n\n"
            "(2,1,.,.) = \n  4  5\n\n"
            "(1,2,.,.) = \n  2  3\n\n"
            "(2,2,.,.) = \n  6  7\n"
            "[ CPULongType{2,2,1,2} ]");
  // A common scale factor when non-integral values are large but of one magnitude;
  // whole numbers print in the stream's default float format instead.
  EXPECT_EQ(printed(tensor({1500000.5, 2250000.25})),
            "1e+06 *\n"
            " 1.5000\n"
            " 2.2500\n"
            "[ CPUFloatType{2} ]");
  EXPECT_EQ(printed(tensor({1.0e6, 2.5e6})),
            "   1e+06\n"
            " 2.5e+06\n"
            "[ CPUFloatType{2} ]");
}

TEST(Printing, ZeroDimEmptyAndUndefinedTensors) {
  EXPECT_EQ(printed(tensor(3.5)), "3.5\n[ CPUFloatType{} ]");
  EXPECT_EQ(printed(tensor(7)), "7\n[ CPULongType{} ]");
  EXPECT_EQ(printed(zeros({2, 0})), "[ CPUFloatType{2,0} ]");
  EXPECT_EQ(printed(Tensor()), "[ Tensor (undefined) ]");
}

// ---- views share storage ----------------------------------------------------------------------------------
// x = 0..23 as {2,3,4}: strides {12,4,1}.
Tensor base() { return arange(24, kFloat).reshape({2, 3, 4}); }

struct Layout {
  Shape sizes, strides;
  int64_t offset;
};
::testing::AssertionResult view_of(const Tensor& v, const Tensor& b, const Layout& want) {
  if (!v.is_view_of(b)) return ::testing::AssertionFailure() << "not a view of the base";
  if (v.sizes().vec() != want.sizes || v.strides().vec() != want.strides || v.storage_offset() != want.offset) {
    std::ostringstream os;
    os << "sizes " << v.sizes() << " strides " << v.strides() << " offset " << v.storage_offset();
    return ::testing::AssertionFailure() << os.str();
  }
  return ::testing::AssertionSuccess();
}

TEST(Views, LayoutsAreLibtorchs) {
  using namespace indexing;
  Tensor b = base();
  EXPECT_TRUE(view_of(b.transpose(0, 2), b, {{4, 3, 2}, {1, 4, 12}, 0}));
  EXPECT_TRUE(view_of(b.permute({1, 2, 0}), b, {{3, 4, 2}, {4, 1, 12}, 0}));
  EXPECT_TRUE(view_of(b.slice(2, 1, 4, 2), b, {{2, 3, 2}, {12, 4, 2}, 1}));
  EXPECT_TRUE(view_of(b.select(1, 2), b, {{2, 4}, {12, 1}, 8}));
  EXPECT_TRUE(view_of(b.narrow(2, 1, 2), b, {{2, 3, 2}, {12, 4, 1}, 1}));
  EXPECT_TRUE(view_of(b.select(0, 1).select(0, 1).expand({3, 2, 4}), b, {{3, 2, 4}, {0, 0, 1}, 16}));
  EXPECT_TRUE(view_of(b.index({Slice(1, None), None, Ellipsis, -1}), b, {{1, 1, 3}, {12, 12, 4}, 15}));
  EXPECT_TRUE(view_of(b.index({Ellipsis, Slice(None, None, 3)}), b, {{2, 3, 2}, {12, 4, 3}, 0}));
  EXPECT_TRUE(view_of(b.index({1, Slice(0, 3, 2), None}), b, {{2, 1, 4}, {8, 4, 1}, 12}));
  EXPECT_TRUE(view_of(b.select(0, 0).t(), b, {{4, 3}, {1, 4}, 0}));
  EXPECT_TRUE(view_of(b.mT(), b, {{2, 4, 3}, {12, 1, 4}, 0}));
  EXPECT_FALSE(b.transpose(0, 2).is_contiguous());
  EXPECT_FALSE(b.select(1, 2).is_contiguous());
  EXPECT_TRUE(b.select(0, 1).is_contiguous());
}

TEST(Views, WritingThroughAViewChangesTheBase) {
  using namespace indexing;
  Tensor b = base();
  b.transpose(0, 2).index_put_({0, 1, 1}, -1.0);  // b[1][1][0]
  EXPECT_EQ(b.index({1, 1, 0}).item<float>(), -1.0f);
  b.slice(2, 1, 4, 2).fill_(0);  // columns 1 and 3
  EXPECT_TENSOR(b.select(0, 0), {3, 4}, {0, 0, 2, 0, 4, 0, 6, 0, 8, 0, 10, 0});
  b.select(1, 2).mul_(10);
  EXPECT_TENSOR(b.select(1, 2), {2, 4}, {80, 0, 100, 0, 200, 0, 220, 0});
  b.narrow(0, 1, 1).squeeze(0).t().select(0, 0).copy_(tensor({5.0f, 6.0f, 7.0f}));  // b[1][:][0]
  EXPECT_TENSOR(b.select(0, 1).select(1, 0), {3}, {5, 6, 7});
  b.mT().index({0, 3, Slice()}).add_(1);  // b[0][:][3]
  EXPECT_TENSOR(b.select(0, 0).select(1, 3), {3}, {1, 1, 1});
  b.index({Ellipsis, 2}).zero_();
  EXPECT_TENSOR(b.index({Ellipsis, 2}), {2, 3}, {0, 0, 0, 0, 0, 0});
  Tensor e = b.select(0, 0).select(0, 0).select(0, 1).expand({4});
  EXPECT_EQ(e.strides().vec(), Shape({0}));
  EXPECT_TRUE(e.is_view_of(b));
}

TEST(Views, ViewsShareTheVersionCounter) {
  Tensor b = base();
  Tensor v = b.select(0, 1);
  const uint32_t before = b._version();
  v.add_(1);
  EXPECT_EQ(b._version(), before + 1);
  EXPECT_EQ(v._version(), b._version());
}

// The in-place methods are const, as libtorch's: they change the data and history
// behind a handle, never the handle, so libtorch's idioms compile, such as zeroing a
// gradient through grad() (a const Tensor&) or normalising a batch held as const.
TEST(InPlace, MethodsEditTheDataBehindAConstHandle) {
  static_assert(std::is_same_v<decltype(std::declval<const Tensor&>().mul_(2)), Tensor&>);
  static_assert(std::is_same_v<decltype(std::declval<const Tensor&>().requires_grad_()), const Tensor&>);
  Tensor t = tensor({1.0, 2.0, 3.0});
  const Tensor& handle = t;
  handle.add_(1).mul_(3).sub_(1, 2).div_(4);
  EXPECT_TENSOR(t, {3}, {1.0, 1.75, 2.5});
  EXPECT_EQ(t._version(), 4u);

  Tensor u = zeros({3});
  const Tensor& target = u;
  target.fill_(7);
  EXPECT_TENSOR(u, {3}, {7, 7, 7});
  target.copy_(t);
  EXPECT_TENSOR(u, {3}, {1.0, 1.75, 2.5});
  target.zero_();
  EXPECT_TENSOR(u, {3}, {0, 0, 0});

  Tensor w = tensor({1.0, 2.0});
  const Tensor& leaf = w;
  leaf.requires_grad_();
  (w * w).sum().backward();
  EXPECT_TENSOR(w.grad(), {2}, {2, 4});
  w.grad().zero_();
  EXPECT_TENSOR(w.grad(), {2}, {0, 0});

  const Tensor y = w * 2;
  y.detach_();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
}

// Assigning to an index expression writes into the tensor, as in libtorch; assigning
// to a named tensor rebinds it.
TEST(InPlace, AssigningToAnIndexExpressionWritesIntoTheTensor) {
  using namespace indexing;
  Tensor q = zeros({2, 3});
  q[1][0] = 7;
  q.index({0, Slice(1, None)}) = tensor({1.5f, 2.5f});
  q[1].index({Slice(1, None)}) = q[0].index({Slice(1, None)}) * 2;
  EXPECT_TENSOR(q, {2, 3}, {0, 1.5, 2.5, 7, 3, 5});
  q.index({Ellipsis, 0}) = tensor({-1.0f});  // broadcast into the column
  EXPECT_TENSOR(q, {2, 3}, {-1, 1.5, 2.5, -1, 3, 5});
  EXPECT_THROW_MSG(q[0] = zeros({2}),
                   "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");

  Tensor row = q[0];
  row = ones({3});  // rebinds `row`; q keeps its values
  EXPECT_TENSOR(q, {2, 3}, {-1, 1.5, 2.5, -1, 3, 5});
  EXPECT_FALSE(row.is_view_of(q));
}

// ---- reshape, view, contiguous -----------------------------------------------------------------------------
TEST(Reshape, OfAContiguousTensorIsAViewSharingStorage) {
  Tensor b = base();
  Tensor r = b.reshape({6, 4});
  EXPECT_TRUE(r.is_view_of(b));
  EXPECT_EQ(r.data_ptr(), b.data_ptr());
  EXPECT_EQ(r.strides().vec(), Shape({4, 1}));
  r.index_put_({5, 3}, 99.0);
  EXPECT_EQ(b.index({1, 2, 3}).item<float>(), 99.0f);
  Tensor flat = b.reshape({-1});
  EXPECT_EQ(flat.data_ptr(), b.data_ptr());
  EXPECT_EQ(b.flatten().data_ptr(), b.data_ptr());
  EXPECT_EQ(b.view({4, 6}).data_ptr(), b.data_ptr());
}

TEST(Reshape, OfATransposedTensorCopiesWhenNoViewExists) {
  Tensor b = base();
  Tensor t = b.transpose(1, 2);  // {2,4,3}, strides {12,1,4}
  Tensor r = t.reshape({2, 12});
  EXPECT_FALSE(r.is_view_of(b));
  EXPECT_NE(r.data_ptr(), b.data_ptr());
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_TENSOR(r.select(0, 0), {12}, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  r.fill_(-1);  // a copy: the base keeps its values
  EXPECT_EQ(b.index({0, 0, 1}).item<float>(), 1.0f);
  EXPECT_THROW_MSG(t.view({2, 12}), "view size is not compatible with input tensor's size and stride");
  // Splitting a dim of the transposed tensor needs no copy: a view, as in libtorch.
  Tensor s = t.reshape({2, 2, 2, 3});
  EXPECT_TRUE(s.is_view_of(b));
  EXPECT_EQ(s.strides().vec(), Shape({12, 2, 1, 4}));
  // Of an expanded tensor: a view where the stride-0 dim stays whole.
  Tensor ex = b.narrow(2, 0, 1).expand({2, 3, 4});
  EXPECT_TRUE(ex.reshape({6, 4}).is_view_of(b));
  EXPECT_EQ(ex.reshape({6, 4}).strides().vec(), Shape({4, 0}));
  EXPECT_FALSE(ex.reshape({24}).is_view_of(b));
}

TEST(Contiguous, ReturnsSelfWhenAlreadyContiguous) {
  Tensor b = base();
  Tensor c = b.contiguous();
  EXPECT_TRUE(c.is_same(b));
  EXPECT_EQ(c.data_ptr(), b.data_ptr());
  Tensor row = b.select(0, 1);  // contiguous with an offset: still itself
  EXPECT_TRUE(row.contiguous().is_same(row));
  Tensor t = b.transpose(0, 1);
  Tensor tc = t.contiguous();
  EXPECT_FALSE(tc.is_view_of(b));
  EXPECT_TRUE(tc.is_contiguous());
  EXPECT_EQ(tc.strides().vec(), Shape({8, 4, 1}));
  EXPECT_EQ(testing::values(tc), testing::values(t));
  EXPECT_TRUE(tc.contiguous().is_same(tc));
}

TEST(Contiguous, LargeTransposesCopyTileByTileToTheSameValues) {
  // Note [Tiled transposes] (src/kernels/elementwise.h): an input contiguous along
  // its second-to-last dim is copied in tiles. Element (i, j) of each copy is
  // checked against its definition, on sizes below, at and around the tile (32 rows,
  // 16 x 16 blocks), a batch of transposes, transposed conversions, and copies of
  // every element size (bool: 1 byte, float: 4, double and int64: 8).
  auto value = [](int64_t b, int64_t i, int64_t j) { return static_cast<double>(b * 1000003 + i * 1009 + j); };
  struct Case {
    int64_t batch, rows, cols;
  };
  for (const Case& c : {Case{1, 32, 32}, Case{1, 33, 47}, Case{1, 100, 17}, Case{3, 64, 40}, Case{2, 31, 200}}) {
    SCOPED_TRACE(::testing::Message() << c.batch << " x " << c.rows << " x " << c.cols);
    // source[b][j][i] = value(b, i, j), so source.transpose(1, 2)[b][i][j] = value(b, i, j).
    std::vector<double> data(static_cast<size_t>(c.batch * c.rows * c.cols));
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t j = 0; j < c.cols; ++j)
        for (int64_t i = 0; i < c.rows; ++i)
          data[static_cast<size_t>((b * c.cols + j) * c.rows + i)] = value(b, i, j);
    const Tensor source = tensor(data).view({c.batch, c.cols, c.rows});
    for (ScalarType dt : {kDouble, kFloat}) {
      const Tensor copy = source.transpose(1, 2).to(dt).contiguous();
      ASSERT_TRUE(copy.is_contiguous());
      const Tensor as_double = copy.to(kDouble);
      const double* got = as_double.data_ptr<double>();
      int64_t wrong = 0;
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t i = 0; i < c.rows; ++i)
          for (int64_t j = 0; j < c.cols; ++j)
            wrong += got[(b * c.rows + i) * c.cols + j] != value(b, i, j);  // exact in float32 too (< 2^24)
      EXPECT_EQ(wrong, 0) << dt;
    }
    // Same-dtype copies of int64 and bool (a pattern of every third value).
    std::vector<double> thirds(data.size());
    for (size_t k = 0; k < data.size(); ++k) thirds[k] = static_cast<int64_t>(data[k]) % 3 == 0;
    for (ScalarType dt : {kLong, kBool}) {
      const Tensor typed = (dt == kLong ? tensor(data) : tensor(thirds)).to(dt).view({c.batch, c.cols, c.rows});
      const Tensor as_double = typed.transpose(1, 2).contiguous().to(kDouble);
      const double* got = as_double.data_ptr<double>();
      int64_t wrong = 0;
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t i = 0; i < c.rows; ++i)
          for (int64_t j = 0; j < c.cols; ++j) {
            const double v = value(b, i, j);
            wrong += got[(b * c.rows + i) * c.cols + j] != (dt == kLong ? v : double(int64_t(v) % 3 == 0));
          }
      EXPECT_EQ(wrong, 0) << dt;
    }
  }
}

TEST(Contiguous, ElementwiseOpsOnTransposedInputsMatchTheirContiguousCopies) {
  // A large input read across its rows is copied first (read_across_rows in
  // src/ops/op_helpers.h); results, in-place updates and dtype conversions must
  // be those of the contiguous copy. 96 x 80: above the copy's threshold, not a
  // multiple of the 16 x 16 blocks.
  manual_seed(6);
  const Tensor a = randn({80, 96}), b = randn({96, 80});
  const Tensor at = a.t(), ac = a.t().contiguous();
  EXPECT_TRUE(equal(at.exp(), ac.exp()));
  EXPECT_TRUE(equal(at * 2, ac * 2));
  EXPECT_TRUE(equal(at + b, ac + b));
  EXPECT_TRUE(equal(b - at, b - ac));
  EXPECT_TRUE(equal(at.to(kLong) + 0.5, ac.to(kLong) + 0.5));
  Tensor target = a.clone();
  target.t().mul_(3).add_(b);  // in place through the transposed view
  EXPECT_TRUE(equal(target, a * 3 + b.t()));
  const Tensor leaf = a.clone().requires_grad_();
  (leaf.t().tanh() * b).sum().backward();
  EXPECT_TRUE(allclose(leaf.grad(), ((1 - a.tanh().square()) * b.t()), 1e-6, 1e-7));
}

// ---- storage -------------------------------------------------------------------------------------------------
TEST(Storage, DataIsSixtyFourByteAligned) {
  auto aligned = [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()->storage->data) % 64 == 0; };
  std::vector<Tensor> keep;  // alive together: distinct blocks from the pool
  for (int64_t n : {1, 3, 7, 16, 17, 100, 1000, 4097, 100000, 1 << 20}) {
    for (ScalarType dt : {kFloat, kDouble, kLong, kBool}) {
      keep.push_back(empty({n}, dt));
      EXPECT_TRUE(aligned(keep.back())) << n << " " << dt;
      keep.push_back(zeros({n}, dt));
      EXPECT_TRUE(aligned(keep.back())) << n << " " << dt;
    }
  }
  Tensor x = randn({5, 7});
  for (const Tensor& t : {x.clone(), x.t().contiguous(), x + 1, x.matmul(x.t()), x.sum(0), x.to(kDouble)}) {
    EXPECT_TRUE(aligned(t));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64, 0u);
  }
  // A freed block comes back from the pool still aligned.
  keep.clear();
  EXPECT_TRUE(aligned(empty({33}, kBool)));
}

}  // namespace
}  // namespace tg
