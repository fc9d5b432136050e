// Reductions, the products of backward passes and elementwise ops are
// bit-identical whatever the thread count (Note [Deterministic reductions] in
// src/kernels/reduce.h): each result is computed with 1 and with 2 threads and
// compared byte for byte, on sizes large enough to be split. Reductions also
// follow their documented summation order, and an elementwise result does not
// depend on where its element falls in the loop.
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "support/test_support.h"
#include "tensorgrad/nn/functional.h"

using namespace tg;

namespace {

// Values of mixed magnitudes, so that a different summation order would change
// the rounding.
Tensor mixed_values(IntArrayRef shape, ScalarType dtype) {
  manual_seed(1234);
  Tensor magnitude = (randn(shape, kDouble) * 4).exp();
  return (randn(shape, kDouble) * magnitude).to(dtype);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  if (!a.sizes().equals(b.sizes()) || a.dtype() != b.dtype()) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

// fn with 1 thread and with 2 threads: identical bits.
Tensor check_threads(const std::function<Tensor()>& fn) {
  tg::testing::ThreadCountScope guard(get_num_threads());  // restored when the test ends
  set_num_threads(1);
  Tensor one = fn();
  set_num_threads(2);
  EXPECT_EQ(get_num_threads(), 2);
  Tensor two = fn();
  EXPECT_TRUE(same_bits(one, two)) << "1 thread: " << one.reshape({-1}).slice(0, 0, 3)
                                   << "2 threads: " << two.reshape({-1}).slice(0, 0, 3);
  return two;
}

double reference_sum(const Tensor& t) {
  double s = 0;
  for (double v : tg::testing::values(t)) s += v;
  return s;
}

}  // namespace

TEST(Determinism, SumOfAMillionElements) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = mixed_values({1000000}, dt);
    const double scale = reference_sum(x.abs());
    Tensor s = check_threads([&] { return x.sum(); });
    EXPECT_NEAR(s.item<double>(), reference_sum(x), 1e-4 * scale);
    Tensor m = check_threads([&] { return x.mean(); });
    EXPECT_NEAR(m.item<double>(), reference_sum(x) / 1e6, 1e-10 * scale);
  }
  Tensor ones_sum = check_threads([] { return ones({1000000}).sum(); });
  EXPECT_EQ(ones_sum.item<float>(), 1e6f);
}

TEST(Determinism, SumAndMeanOverEachDimOfAThousandByThousand) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = mixed_values({1000, 1000}, dt);
    Tensor xt = x.t();  // the same reductions on a non-contiguous input
    for (int64_t d : {0, 1, -1}) {
      Tensor s = check_threads([&] { return x.sum(d); });
      ASSERT_EQ(s.sizes(), IntArrayRef({1000}));
      // Row/column 7 against a double accumulation.
      Tensor line = d == 0 ? x.select(1, 7) : x.select(0, 7);
      EXPECT_NEAR(tg::testing::values(s)[7], reference_sum(line), 1e-4 * reference_sum(line.abs()));
      check_threads([&] { return x.mean(d, true); });
      check_threads([&] { return xt.sum(d); });
    }
    check_threads([&] { return x.sum(std::vector<int64_t>{0, 1}); });
    check_threads([&] { return xt.mean(); });
  }
}

// A contiguous row's order (kernels/reduce.cpp, block_sum), written out: in
// blocks of 4096, lane l of 16 sums elements l, l + 16, ... of the block, the
// lanes are added pairwise (l + 8, then l + 4, l + 2, l + 1), and the blocks'
// sums pairwise.
template <class T>
T row_sum_reference(const T* p, int64_t n) {
  std::vector<T> blocks;
  for (int64_t b = 0; b < std::max<int64_t>(n, 1); b += 4096) {
    T lane[16] = {};
    for (int64_t i = b; i < std::min(n, b + 4096); ++i) lane[(i - b) % 16] += p[i];
    for (int w = 8; w > 0; w /= 2)
      for (int l = 0; l < w; ++l) lane[l] += lane[l + w];
    blocks.push_back(lane[0]);
  }
  for (size_t width = 1; width < blocks.size(); width *= 2)
    for (size_t b = 0; b + width < blocks.size(); b += 2 * width) blocks[b] += blocks[b + width];
  return blocks[0];
}

// Rows of every length up to 100 (the lanes' tail, through its zero-padded
// copy), and rows of several blocks, summed one per row and as one tensor.
TEST(Determinism, RowSumsFollowTheDocumentedOrder) {
  for (int64_t length : {1, 2, 15, 16, 17, 31, 33, 64, 79, 100, 4096, 4097, 3 * 4096 + 5}) {
    SCOPED_TRACE(length);
    const Tensor x = mixed_values({7, length}, kFloat), xd = x.to(kDouble);
    const Tensor s = check_threads([&] { return x.sum(1); }), sd = check_threads([&] { return xd.sum(1); });
    for (int64_t r = 0; r < 7; ++r) {
      const Tensor row = x.select(0, r).contiguous(), rowd = xd.select(0, r).contiguous();
      const float expected = row_sum_reference(row.data_ptr<float>(), length);
      const double expected_d = row_sum_reference(rowd.data_ptr<double>(), length);
      EXPECT_EQ(std::memcmp(s.data_ptr<float>() + r, &expected, sizeof(float)), 0) << "row " << r;
      EXPECT_EQ(std::memcmp(sd.data_ptr<double>() + r, &expected_d, sizeof(double)), 0) << "row " << r;
      const float whole = row.sum().item<float>();
      EXPECT_EQ(std::memcmp(&whole, &expected, sizeof(float)), 0) << "row " << r << " alone";
    }
  }
}

// Note [Strided sums]' order, written out: each column summed row after row in
// chunks of 128 rows, the chunks' sums then added pairwise (chunk c + chunk c +
// 1, then c + (c + 2), ...), in T's arithmetic.
template <class T>
std::vector<T> strided_sum_reference(const Tensor& x3, int64_t o) {
  const int64_t reduce = x3.size(1), inner = x3.size(2);
  const Tensor slice = x3.select(0, o).contiguous();
  const T* p = slice.data_ptr<T>();
  const int64_t chunks = (reduce + 127) / 128;
  std::vector<T> partial(static_cast<size_t>(chunks * inner), T(0));
  for (int64_t c = 0; c < chunks; ++c)
    for (int64_t r = c * 128; r < std::min(reduce, c * 128 + 128); ++r)
      for (int64_t i = 0; i < inner; ++i) partial[c * inner + i] += p[r * inner + i];
  for (int64_t width = 1; width < chunks; width *= 2)
    for (int64_t c = 0; c + width < chunks; c += 2 * width)
      for (int64_t i = 0; i < inner; ++i) partial[c * inner + i] += partial[(c + width) * inner + i];
  return std::vector<T>(partial.begin(), partial.begin() + inner);
}

// Sums over a middle dim: slices summed one per thread, with accumulators in
// registers for tiles of 64, 32, 16, 8 and 1 columns and chunk sums merged as
// they come; or one large slice shared by the threads. Chunk counts that are not
// powers of two (7, 12 and 13) check that the merging is the pairwise tree.
TEST(Determinism, SumsOverAMiddleDimFollowTheDocumentedOrder) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{
             {5, 128 * 7, 121}, {3, 128 * 12 - 5, 9}, {1, 128 * 13, 200}, {40, 100, 8}, {1, 128 * 40, 2000}}) {
      SCOPED_TRACE(::testing::PrintToString(shape) + " " + std::string(dt == kFloat ? "float" : "double"));
      const Tensor x = mixed_values(shape, dt);
      const Tensor s = check_threads([&] { return x.sum(1); });
      for (int64_t o : {int64_t(0), shape[0] - 1}) {
        const Tensor row = s.select(0, o).contiguous();
        if (dt == kFloat) {
          const std::vector<float> expected = strided_sum_reference<float>(x, o);
          EXPECT_EQ(std::memcmp(row.data_ptr<float>(), expected.data(), expected.size() * sizeof(float)), 0);
        } else {
          const std::vector<double> expected = strided_sum_reference<double>(x, o);
          EXPECT_EQ(std::memcmp(row.data_ptr<double>(), expected.data(), expected.size() * sizeof(double)), 0);
        }
      }
    }
}

TEST(Determinism, LogsumexpAndSoftmaxOverEachDim) {
  Tensor x = mixed_values({1000, 1000}, kFloat).clamp(-50, 50);
  for (int64_t d : {0, 1}) {
    Tensor l = check_threads([&] { return x.logsumexp(d); });
    EXPECT_EQ(l.sizes(), IntArrayRef({1000}));
    Tensor s = check_threads([&] { return x.softmax(d); });
    EXPECT_NEAR(s.sum(d).mean().item<double>(), 1.0, 1e-5);
    check_threads([&] { return x.log_softmax(d); });
  }
}

TEST(Determinism, GradientOfAReductionBackToBroadcastShape) {
  // The engine's un-broadcasting (sum_to) is a reduction too.
  Tensor w = mixed_values({1000}, kFloat).requires_grad_(true);
  Tensor x = mixed_values({1000, 1000}, kFloat);
  Tensor g = check_threads([&] {
    w.zero_grad();
    ((x * w).sum(1) * x.select(1, 0)).sum().backward();
    return w.grad().clone();
  });
  ASSERT_EQ(g.sizes(), IntArrayRef({1000}));
  // d/dw_j = sum_i x_ij x_i0
  const double expected = reference_sum(x.select(1, 3).to(kDouble) * x.select(1, 0).to(kDouble));
  EXPECT_NEAR(tg::testing::values(g)[3], expected, 1e-4 * reference_sum((x.select(1, 3) * x.select(1, 0)).abs()));
}

// A linear layer too small to cut its backward products over the threads runs
// them side by side, one per thread (mm_backward_side_by_side in
// src/ops/linalg.cpp): the input's and the weight's gradients, fresh or added into
// a zeroed .grad, are the bits one thread gives, and the product they define.
TEST(Determinism, BackwardProductsOfASmallLinearLayer) {
  manual_seed(7);
  const Tensor x0 = randn({32, 256}), w0 = randn({128, 256}), b0 = randn({128}), up = randn({32, 128});
  for (bool zeroed_grads : {false, true}) {
    auto gradients = [&] {
      Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
      if (zeroed_grads) {
        w.mutable_grad() = zeros_like(w);
        b.mutable_grad() = zeros_like(b);
      }
      (nn::functional::linear(x, w, b) * up).sum().backward();
      return cat({x.grad().reshape({-1}), w.grad().reshape({-1}), b.grad()});
    };
    const Tensor both = check_threads(gradients);
    const Tensor x_grad = up.to(kDouble).mm(w0.to(kDouble)), w_grad = up.t().to(kDouble).mm(x0.to(kDouble));
    EXPECT_TRUE(both.slice(0, 0, 32 * 256).allclose(x_grad.reshape({-1}).to(kFloat), 1e-4, 1e-4));
    EXPECT_TRUE(both.slice(0, 32 * 256, 32 * 256 + 128 * 256).allclose(w_grad.reshape({-1}).to(kFloat), 1e-4, 1e-4));
    EXPECT_TRUE(both.slice(0, 32 * 256 + 128 * 256).allclose(up.sum(0), 1e-5, 1e-5));
  }
}

// mm of a transposed (column-major) operand and a plain one, both requiring grad:
// each gradient keeps its input's layout, with the bits of one thread.
TEST(Determinism, BackwardProductsOfMmWithATransposedOperand) {
  manual_seed(8);
  const Tensor a0 = randn({256, 32}), b0 = randn({256, 128}), up = randn({32, 128});
  auto gradients = [&] {
    Tensor a = a0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    (a.t().mm(b) * up).sum().backward();
    EXPECT_TRUE(a.grad().is_contiguous());
    return cat({a.grad().reshape({-1}), b.grad().reshape({-1})});
  };
  const Tensor both = check_threads(gradients);
  const Tensor a_grad = b0.to(kDouble).mm(up.t().to(kDouble)), b_grad = a0.to(kDouble).mm(up.to(kDouble));
  EXPECT_TRUE(both.slice(0, 0, 256 * 32).allclose(a_grad.reshape({-1}).to(kFloat), 1e-4, 1e-4));
  EXPECT_TRUE(both.slice(0, 256 * 32).allclose(b_grad.reshape({-1}).to(kFloat), 1e-4, 1e-4));
}

// An element's value and gradient do not depend on where it falls: in a
// vectorised loop's body or its scalar tail, at a thread's chunk boundary or
// not. The compiler fuses a * b + c into one rounding only where it chooses
// (GCC's default is -ffp-contract=fast), and it chose differently for the body
// and the tail of binary_cross_entropy's loop before loss.cpp was compiled with
// -ffp-contract=off; without that flag this test fails for bce in both dtypes.
// Each op runs on 70,037 elements, then on the same values shifted by a few
// elements (each element moves to another lane or into the tail), then on two
// threads; the outputs and the inputs' gradients must keep their bits.
TEST(Determinism, ElementwiseBitsDoNotDependOnWhereTheElementFalls) {
  namespace F = nn::functional;
  using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
  enum class Domain { Any, Positive, Unit };
  struct Op {
    std::string name;
    Fn f;
    Domain domain = Domain::Any;
  };
  const std::vector<Op> ops = {
      {"pow 3", [](auto& x, auto&) { return pow(x, 3); }},
      {"pow 0.5", [](auto& x, auto&) { return pow(x, 0.5); }, Domain::Positive},
      {"pow -2", [](auto& x, auto&) { return pow(x, -2); }, Domain::Positive},
      {"pow 2.5", [](auto& x, auto&) { return pow(x, 2.5); }, Domain::Positive},
      {"pow(tensor, tensor)", [](auto& x, auto& y) { return pow(x, y); }, Domain::Positive},
      {"pow(scalar, tensor)", [](auto&, auto& y) { return pow(1.5, y); }},
      {"sqrt", [](auto& x, auto&) { return sqrt(x); }, Domain::Positive},
      {"rsqrt", [](auto& x, auto&) { return rsqrt(x); }, Domain::Positive},
      {"reciprocal", [](auto& x, auto&) { return reciprocal(x); }, Domain::Positive},
      {"erf", [](auto& x, auto&) { return erf(x); }},
      {"exp", [](auto& x, auto&) { return exp(x); }},
      {"log", [](auto& x, auto&) { return log(x); }, Domain::Positive},
      {"clamp", [](auto& x, auto&) { return clamp(x, -1.0, 2.0); }},
      {"tanh", [](auto& x, auto&) { return tanh(x); }},
      {"sigmoid", [](auto& x, auto&) { return sigmoid(x); }},
      {"gelu", [](auto& x, auto&) { return gelu(x); }},
      {"gelu tanh", [](auto& x, auto&) { return gelu(x, "tanh"); }},
      {"leaky_relu", [](auto& x, auto&) { return leaky_relu(x, 0.2); }},
      {"prelu", [](auto& x, auto&) { return prelu(x, full({1}, 0.25, x.dtype())); }},
      {"add with alpha", [](auto& x, auto& y) { return add(x, y, 0.3); }},
      {"rsub with alpha", [](auto& x, auto&) { return rsub(x, 2.5, 0.7); }},
      {"div", [](auto& x, auto& y) { return x / y; }, Domain::Positive},
      {"maximum", [](auto& x, auto& y) { return maximum(x, y); }},
      {"x * y + x * 0.5", [](auto& x, auto& y) { return x * y + x * 0.5; }},
      {"mse_loss", [](auto& x, auto& y) { return F::mse_loss(x, y, F::MSELossFuncOptions(enumtype::kNone())); }},
      {"binary_cross_entropy",
       [](auto& x, auto& y) {
         return F::binary_cross_entropy(x, y, F::BinaryCrossEntropyFuncOptions().reduction(enumtype::kNone()));
       },
       Domain::Unit},
      {"binary_cross_entropy_with_logits",
       [](auto& x, auto& y) {
         return F::binary_cross_entropy_with_logits(
             x, y, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(enumtype::kNone()));
       },
       Domain::Unit},
  };
  const int64_t n = 2 * core::kElementwiseGrain + 4501;
  tg::testing::ThreadCountScope guard(get_num_threads());  // restored when the test ends
  for (ScalarType dtype : {kFloat, kDouble}) {
    for (const Op& op : ops) {
      manual_seed(3);
      Tensor x = randn({n}, kDouble) * 3, y = randn({n}, kDouble) * 3;
      if (op.domain == Domain::Positive) x = x.abs() + 0.1, y = y.abs() + 0.1;
      if (op.domain == Domain::Unit) x = rand({n}, kDouble) * 0.98 + 0.01, y = rand({n}, kDouble);
      x = x.to(dtype), y = y.to(dtype);
      const Tensor upstream = randn({n}, dtype);
      // The op's output and both inputs' gradients, from element `shift` on.
      auto run = [&](int64_t shift, int threads) {
        set_num_threads(threads);
        Tensor a = x.slice(0, shift).clone().requires_grad_(), b = y.slice(0, shift).clone().requires_grad_();
        const Tensor out = op.f(a, b);
        (out * upstream.slice(0, shift)).sum().backward();
        auto grad_of = [](const Tensor& t) { return t.grad().defined() ? t.grad() : zeros_like(t); };
        return cat({out.detach(), grad_of(a), grad_of(b)});
      };
      const Tensor whole = run(0, 1);
      auto from = [&](int64_t shift) {
        return cat({whole.slice(0, shift, n), whole.slice(0, n + shift, 2 * n), whole.slice(0, 2 * n + shift)});
      };
      for (int64_t shift : {1, 3, 5, 8, 13})
        EXPECT_TRUE(same_bits(run(shift, 1), from(shift))) << op.name << " " << dtype << " shifted by " << shift;
      EXPECT_TRUE(same_bits(run(0, 2), whole)) << op.name << " " << dtype << " on 2 threads";
    }
  }
}

// A linear layer's forward at batch 32 or 48 is computed turned around, W x^T
// (Note [Turned-around products] in kernels/gemm.cpp), its columns cut over the
// threads: each element is one block's, whatever the thread count.
TEST(Determinism, TurnedAroundLinearForward) {
  for (int64_t batch : {32, 48}) {
    const Tensor x = mixed_values({batch, 784}, kFloat), w = mixed_values({256, 784}, kFloat) * 1e-3,
                 b = mixed_values({256}, kFloat);
    const Tensor out = check_threads([&] { return nn::functional::linear(x, w, b); });
    const Tensor reference = x.to(kDouble).mm(w.to(kDouble).t()) + b.to(kDouble);
    EXPECT_TRUE(out.to(kDouble).allclose(reference, 1e-4, 1e-2)) << batch;
  }
}

// Matrix-vector products are shared by the threads from 256K multiply-adds
// (kernels/gemm.cpp): each element of the result is still one thread's, summed
// in the same order.
TEST(Determinism, MatrixVectorProductsSharedByTheThreads) {
  const Tensor m = mixed_values({1024, 1000}, kFloat), v = mixed_values({1000}, kFloat);
  const Tensor mv = check_threads([&] { return matmul(m, v); });
  const Tensor vm = check_threads([&] { return matmul(v, m.t()); });
  EXPECT_TRUE(mv.to(kDouble).allclose(matmul(m.to(kDouble), v.to(kDouble)), 1e-4, 1e-2));
  EXPECT_TRUE(vm.to(kDouble).allclose(matmul(m.to(kDouble), v.to(kDouble)), 1e-4, 1e-2));
}

// x W^T with 256 rows or more multiplies a copy of W^T (Note [Copied transposed
// B] in kernels/gemm.cpp). The copy was decided per block, and laid out with the
// block's width: 256 rows cut in two blocks of 128 skipped it, and oneDNN rounds
// a copy 512 wide differently from one 1024 wide, so the bits depended on the
// thread count. Decided once per product, with the whole width.
//
// Not covered, and known to differ: a product whose B is not copied (more than
// 2^20 elements), with a leading dimension that is not a multiple of 16 (K =
// 1025), cut by columns; and float64 products, which OpenBLAS threads itself.
TEST(Determinism, LinearForwardWithACopiedTransposedWeight) {
  for (int64_t rows : {256, 512}) {
    const Tensor x = mixed_values({rows, 1024}, kFloat), w = mixed_values({1024, 1024}, kFloat) * 1e-3;
    const Tensor out = check_threads([&] { return nn::functional::linear(x, w); });
    // Within float32 rounding of the sum of the products' magnitudes.
    const Tensor xd = x.to(kDouble), wd = w.to(kDouble);
    const Tensor error = (out.to(kDouble) - xd.mm(wd.t())).abs();
    const Tensor bound = xd.abs().mm(wd.abs().t()) * 1e-5;
    EXPECT_EQ((error > bound).sum().item<int64_t>(), 0) << rows;
  }
}
