// Matrix products (mm, bmm, addmm, matmul, F::linear) and the GEMM kernel: values
// worked out by hand, gradients derived by hand in the comments, libtorch 1.13's
// grad_fn names and error texts, gradcheck / gradgradcheck in float64.
#include <array>
#include <cmath>
#include <limits>

#include "core/parallel.h"
#include "kernels/gemm.h"
#include "ops/ops_internal.h"
#include "support/test_support.h"
#include "tensorgrad/gradcheck.h"
#include "tensorgrad/nn/functional.h"

using namespace tg;
namespace ag = tg::autograd;
namespace F = tg::nn::functional;

namespace {

Tensor mat(std::vector<double> v, std::vector<int64_t> shape, ScalarType t = kFloat) {
  return tensor(v, dtype(t)).reshape(shape);
}

Tensor leaf(std::vector<double> v, std::vector<int64_t> shape, ScalarType t = kFloat) {
  return mat(v, shape, t).detach().requires_grad_(true);
}

Tensor arange_as(int64_t n, std::vector<int64_t> shape, ScalarType t = kFloat) {
  return arange(n, dtype(t)).reshape(shape);
}

Tensor rand64(std::vector<int64_t> shape) { return randn(shape, dtype(kDouble)).requires_grad_(true); }

// Products are linear in each input, so central differences are exact up to
// rounding: far tighter tolerances than gradcheck's defaults.
template <class F>
ag::GradcheckResult check_grad(F fn, const ag::variable_list& inputs) {
  return ag::gradcheck(fn, inputs, 1e-6, 1e-7, 1e-6);
}
template <class F>
ag::GradcheckResult check_gradgrad(F fn, const ag::variable_list& inputs) {
  return ag::gradgradcheck(fn, inputs, 1e-6, 1e-7, 1e-6);
}

std::string fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }

// Runs kernels::gemm_onto_rows on small integers (every sum exact) with padded
// leading dimensions, C inside a wider matrix whose other columns must stay
// untouched and beta 0 over NaN, and checks every element of C against the
// definition C = 2 op(A) op(B) + beta * addend, the addend being C or, onto_row,
// a bias row.
::testing::AssertionResult gemm_matches_definition(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                                                   float beta, bool onto_row = false) {
  const int64_t lda = (trans_a ? M : K) + 1, ldb = (trans_b ? K : N) + 2, ldc = N + 3;
  std::vector<float> a((trans_a ? K : M) * lda), b((trans_b ? N : K) * ldb), c(M * ldc), row(N);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
  for (size_t i = 0; i < c.size(); ++i) c[i] = beta == 0.0f ? std::nanf("") : float(int(i % 3) - 1);
  for (int64_t j = 0; j < N; ++j) row[j] = static_cast<float>(j % 7);
  std::vector<float> expected = c;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < K; ++p) {
        const float a_ip = a[trans_a ? p * lda + i : i * lda + p];
        const float b_pj = b[trans_b ? j * ldb + p : p * ldb + j];
        sum += double(a_ip) * double(b_pj);
      }
      const double addend = onto_row ? row[j] : c[i * ldc + j];
      expected[i * ldc + j] = static_cast<float>(2.0 * sum + (beta == 0.0f ? 0.0 : double(beta) * addend));
    }
  kernels::gemm_onto_rows(trans_a, trans_b, M, N, K, 2.0f, a.data(), lda, b.data(), ldb, beta,
                          onto_row ? row.data() : nullptr, c.data(), ldc);
  for (size_t i = 0; i < c.size(); ++i) {
    const bool same = c[i] == expected[i] || (std::isnan(c[i]) && std::isnan(expected[i]));
    if (!same)
      return ::testing::AssertionFailure() << M << "x" << N << "x" << K << " trans_a " << trans_a << " trans_b "
                                           << trans_b << " beta " << beta << " onto a row " << onto_row << " at "
                                           << i << ": " << c[i] << " vs " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

// A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: A·B = [[58,64],[139,154]].
const std::vector<double> kA{1, 2, 3, 4, 5, 6};
const std::vector<double> kB{7, 8, 9, 10, 11, 12};

}  // namespace

// ---- the GEMM kernel ------------------------------------------------------------------------
TEST(GemmKernel, BlasLayoutUsesTransposeFlagsInsteadOfCopies) {
  auto row = kernels::blas_layout(2, 3, 3, 1);  // contiguous
  ASSERT_TRUE(row.has_value());
  EXPECT_FALSE(row->trans);
  EXPECT_EQ(row->ld, 3);
  auto padded = kernels::blas_layout(2, 3, 8, 1);  // a column slice of a wider matrix
  ASSERT_TRUE(padded.has_value());
  EXPECT_FALSE(padded->trans);
  EXPECT_EQ(padded->ld, 8);
  auto transposed = kernels::blas_layout(3, 2, 1, 3);  // the .t() of a contiguous 2x3
  ASSERT_TRUE(transposed.has_value());
  EXPECT_TRUE(transposed->trans);
  EXPECT_EQ(transposed->ld, 3);
  auto column = kernels::blas_layout(4, 1, 5, 7);  // one column: the column stride never steps
  ASSERT_TRUE(column.has_value());
  EXPECT_FALSE(column->trans);
  EXPECT_EQ(column->ld, 5);
  auto one_row = kernels::blas_layout(1, 4, 0, 2);  // one strided row: read as a transposed column
  ASSERT_TRUE(one_row.has_value());
  EXPECT_TRUE(one_row->trans);
  EXPECT_EQ(one_row->ld, 2);
  EXPECT_FALSE(kernels::blas_layout(2, 3, 6, 2).has_value());  // both strides above 1
  EXPECT_FALSE(kernels::blas_layout(3, 2, 1, 0).has_value());  // broadcast columns
  EXPECT_FALSE(kernels::blas_layout(3, 2, 0, 1).has_value());  // broadcast rows
}

TEST(GemmKernel, BetaZeroOverwritesNaNAndAlphaZeroIgnoresOperands) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1};
  float c[4] = {nan, nan, nan, nan};
  kernels::gemm(false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  EXPECT_EQ(std::vector<float>(c, c + 4), (std::vector<float>{1, 2, 3, 4}));

  const double da[4] = {std::nan(""), 2, 3, 4}, db[4] = {1, 0, 0, 1};
  double dc[4] = {1, 1, 1, 1};
  kernels::gemm(false, false, 2, 2, 2, 0.0, da, 2, db, 2, 2.0, dc, 2);  // C = 2 * C
  EXPECT_EQ(std::vector<double>(dc, dc + 4), (std::vector<double>{2, 2, 2, 2}));

  const double dok[4] = {1, 2, 3, 4};
  double dnan[4] = {std::nan(""), std::nan(""), std::nan(""), std::nan("")};
  kernels::gemm(false, false, 2, 2, 2, 1.0, dok, 2, db, 2, 0.0, dnan, 2);
  EXPECT_EQ(std::vector<double>(dnan, dnan + 4), (std::vector<double>{1, 2, 3, 4}));

  const int64_t ia[6] = {1, 2, 3, 4, 5, 6}, ib[6] = {7, 8, 9, 10, 11, 12};
  int64_t ic[4] = {-1, -1, -1, -1};
  // Aᵀ·Bᵀ with A stored 3x2 and B 2x3: (Aᵀ)[i][p] = ia[p*2+i], (Bᵀ)[p][j] = ib[j*3+p].
  kernels::gemm(true, true, 2, 2, 3, int64_t{1}, ia, 2, ib, 3, int64_t{0}, ic, 2);
  // row 0 of Aᵀ = [1,3,5], row 1 = [2,4,6]; column 0 of Bᵀ = [7,8,9], column 1 = [10,11,12].
  EXPECT_EQ(std::vector<int64_t>(ic, ic + 4), (std::vector<int64_t>{1 * 7 + 3 * 8 + 5 * 9, 1 * 10 + 3 * 11 + 5 * 12,
                                                                     2 * 7 + 4 * 8 + 6 * 9, 2 * 10 + 4 * 11 + 6 * 12}));
}

TEST(GemmKernel, EmptyInnerDimensionGivesBetaTimesC) {
  float c[2] = {3, 4};
  kernels::gemm(false, false, 1, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, c, 2);
  EXPECT_EQ(std::vector<float>(c, c + 2), (std::vector<float>{1.5f, 2.0f}));
}

TEST(GemmKernel, BatchedSmallMatricesMatchOneByOne) {
  // 64 products of 16x16 · 16x16 (split across threads) with a shared right operand
  // (stride 0); small integer values, so every sum is exact in float.
  const int64_t n = 16, batch = 64;
  std::vector<float> a(batch * n * n), b(n * n), c(batch * n * n, -1), expected(batch * n * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
  kernels::gemm_batched<float>(batch, false, true, n, n, n, 1.0f, a.data(), n, n * n, b.data(), n, 0, 0.0f, c.data(),
                               n, n * n);
  for (int64_t k = 0; k < batch; ++k)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (int64_t p = 0; p < n; ++p) sum += a[(k * n + i) * n + p] * b[j * n + p];
        expected[(k * n + i) * n + j] = sum;
      }
  EXPECT_EQ(c, expected);
}

TEST(GemmKernel, ProductsSplitOverThreadsMatchTheDefinition) {
  // Float32 products of 4M multiply-adds or more are cut into blocks over the pool
  // (Note [GEMM threads]): by columns, by rows when there are more rows, and by rows
  // when A is transposed or the inner dimension is the smallest (a weight
  // gradient). Small integer
  // values keep every sum exact, so each block must give the definition's value.
  struct Shape {
    int64_t M, N, K;
  };
  const int saved_threads = get_num_threads();
  set_num_threads(2);
  // The fourth shape's 784 columns are cut at a multiple of 16 (400 / 384). The last
  // shape has a small inner dimension but one block of rows: it is cut by columns,
  // so that both threads get work. kernels::gemm_onto_rows, which first sets C's
  // rows to a bias row, must give the same values over garbage in C.
  for (const Shape& s : {Shape{256, 784, 32}, Shape{64, 512, 256}, Shape{512, 64, 256}, Shape{64, 784, 96},
                         Shape{16, 20000, 16}}) {
    for (int flags = 0; flags < 4; ++flags) {
      const bool trans_a = flags & 1, trans_b = flags & 2;
      const float beta = trans_a == trans_b ? 0.0f : 1.0f;
      const int64_t lda = trans_a ? s.M : s.K, ldb = trans_b ? s.K : s.N;
      std::vector<float> a(s.M * s.K), b(s.K * s.N), c(s.M * s.N), expected(s.M * s.N);
      for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
      for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
      for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(static_cast<int>(i % 3) - 1);
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < s.N; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < s.K; ++p)
            sum += double(a[trans_a ? p * lda + i : i * lda + p]) * double(b[trans_b ? j * ldb + p : p * ldb + j]);
          expected[i * s.N + j] = static_cast<float>(sum + beta * c[i * s.N + j]);
        }
      std::vector<float> row(c.begin(), c.begin() + s.N), onto_rows(c.size(), std::nanf("")),
          expected_onto_rows(c.size());
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < s.N; ++j)
          expected_onto_rows[i * s.N + j] = expected[i * s.N + j] - beta * c[i * s.N + j] + 2.0f * row[j];
      kernels::gemm(trans_a, trans_b, s.M, s.N, s.K, 1.0f, a.data(), lda, b.data(), ldb, beta, c.data(), s.N);
      EXPECT_EQ(c, expected) << s.M << "x" << s.N << "x" << s.K << " trans_a " << trans_a << " trans_b " << trans_b;
      // With B's rows in thread blocks, a transposed B is cut by columns.
      for (bool b_rows_by_thread : {false, true}) {
        std::fill(onto_rows.begin(), onto_rows.end(), std::nanf(""));
        kernels::gemm_onto_rows(trans_a, trans_b, s.M, s.N, s.K, 1.0f, a.data(), lda, b.data(), ldb, 2.0f,
                                row.data(), onto_rows.data(), s.N, b_rows_by_thread);
        EXPECT_EQ(onto_rows, expected_onto_rows) << s.M << "x" << s.N << "x" << s.K << " onto rows";
      }
    }
  }
  set_num_threads(saved_threads);
}

TEST(GemmKernel, NarrowProductsTurnedAroundMatchTheDefinition) {
  // Float32 products with 2 to 15 columns and a transposed operand are computed as
  // C^T in passes of 256 rows (Note [Narrow products] in kernels/gemm.cpp). Row
  // counts across a pass boundary, every transpose flag, alpha and beta.
  for (int64_t M : {17, 300, 600})
    for (int64_t N : {1, 2, 10, 15, 16})
      for (int64_t K : {3, 130})
        for (int flags = 0; flags < 4; ++flags)
          for (float beta : {0.0f, 1.0f, 0.5f}) ASSERT_TRUE(gemm_matches_definition(flags & 1, flags & 2, M, N, K, beta));
}

TEST(GemmKernel, ProductsTurnedAroundForATransposedBMatchTheDefinition) {
  // x W^T with 32 or 48 rows is computed as W x^T through copies (Note
  // [Turned-around products] in kernels/gemm.cpp), when beta is 0 or when it is 1
  // onto a bias row; the other betas, and other row counts, as they are. Alpha,
  // 1 and 2 threads (the larger products are cut by columns).
  const int saved_threads = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int64_t M : {31, 32, 48})
      for (int64_t N : {16, 20, 256, 300})
        for (int64_t K : {3, 784})
          for (float beta : {0.0f, 1.0f, 0.5f})
            for (bool onto_row : {false, true})
              ASSERT_TRUE(gemm_matches_definition(false, true, M, N, K, beta, onto_row)) << "threads " << threads;
  }
  set_num_threads(saved_threads);
}

TEST(GemmKernel, TallProductsWithATransposedBMatchTheDefinition) {
  // x W^T with 256 rows or more multiplies a per-thread copy of W^T (Note [Copied
  // transposed B] in kernels/gemm.cpp), up to 2^20 elements of W; 255 rows and the
  // larger W as they are. Padded leading dimensions, every beta, onto a bias row,
  // 1 and 2 threads (cut by columns, and by rows), and a smaller copy after a larger
  // one on the same thread.
  const int saved_threads = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto [M, N, K] : {std::array<int64_t, 3>{256, 300, 70}, {600, 64, 130}, {255, 40, 33}, {256, 1100, 1000},
                           {300, 17, 5}})
      for (float beta : {0.0f, 1.0f, 0.5f})
        for (bool onto_row : {false, true})
          ASSERT_TRUE(gemm_matches_definition(false, true, M, N, K, beta, onto_row)) << "threads " << threads;
  }
  set_num_threads(saved_threads);
}

TEST(GemmKernel, ProductsWithBothOperandsTransposedMatchTheDefinition) {
  // op(A) op(B) with both transposed is computed as (B A)^T through a scratch
  // block when beta is 0 and it is large enough to share (Note [Both operands
  // transposed] in kernels/gemm.cpp); beta 1 and the small ones as they are.
  // Unequal M, N and K, alpha, 1 and 2 threads.
  const int saved_threads = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto [M, N, K] : {std::array<int64_t, 3>{200, 170, 130}, {130, 210, 190}, {20, 30, 40}})
      for (float beta : {0.0f, 1.0f})
        ASSERT_TRUE(gemm_matches_definition(true, true, M, N, K, beta)) << "threads " << threads;
  }
  set_num_threads(saved_threads);
}

// Note [Chunk affinity]: a product cut by rows over the threads leaves the count of
// its blocks on its storage, and the optimizer step and zero_grad then cut the
// same memory into as many chunks, each thread passing over the rows it wrote.
TEST(GemmKernel, AProductCutByRowsTellsLaterPassesItsBlocks) {
  const int saved_threads = get_num_threads();
  set_num_threads(2);
  // The row blocks kernels::gemm_onto_rows reports for a product of ones.
  auto row_blocks = [](bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, bool b_rows_by_thread) {
    const std::vector<float> a(M * K, 1.0f), b(K * N, 1.0f);
    std::vector<float> c(M * N);
    const int64_t blocks = kernels::gemm_onto_rows(trans_a, trans_b, M, N, K, 1.0f, a.data(), trans_a ? M : K, b.data(),
                                                   trans_b ? K : N, 0.0f, nullptr, c.data(), N, b_rows_by_thread);
    EXPECT_EQ(c.front(), float(K));
    EXPECT_EQ(c.back(), float(K));
    return blocks;
  };
  EXPECT_EQ(row_blocks(true, false, 256, 784, 32, false), 2);  // a weight gradient: by rows
  EXPECT_EQ(row_blocks(false, true, 32, 256, 784, false), 0);  // a linear forward: by columns
  EXPECT_EQ(row_blocks(true, false, 128, 256, 16, false), 0);  // 0.5M multiply-adds: one block
  EXPECT_EQ(row_blocks(false, true, 96, 64, 784, false), 2);   // more rows than columns
  EXPECT_EQ(row_blocks(false, true, 96, 64, 784, true), 0);    // ... unless B's rows are in thread blocks
  EXPECT_EQ(row_blocks(false, true, 512, 64, 256, true), 2);   // ... but narrow column blocks, 256 rows each
  EXPECT_EQ(row_blocks(false, true, 512, 256, 784, false), 0);  // ... or B is transposed and wide enough
  EXPECT_EQ(row_blocks(false, false, 512, 256, 784, false), 2);  // (B as it is: by rows)

  const Tensor dy = ones({32, 256}), x = ones({32, 784});
  const Tensor weight_grad = mm(dy.t(), x);
  EXPECT_EQ(weight_grad.unsafeGetTensorImpl()->storage->writer_blocks, 2);
  EXPECT_EQ(ops::affine_grain(weight_grad), 256 * 784 / 2);
  EXPECT_EQ(ops::affine_grain(weight_grad.narrow(0, 128, 128)), core::kElementwiseGrain);  // a part of it
  EXPECT_EQ(weight_grad.sum().item<float>(), 32.0f * 256 * 784);

  const Tensor forward = mm(ones({32, 784}), ones({784, 256}));
  EXPECT_EQ(forward.unsafeGetTensorImpl()->storage->writer_blocks, 0);
  EXPECT_EQ(ops::affine_grain(forward), core::kElementwiseGrain);

  // The SGD step and zero_grad over a linear layer's weight gradient, cut this way;
  // the step leaves the same blocks on the weight.
  Tensor w = ones({256, 784}, requires_grad());
  optim::SGD sgd({w}, optim::SGDOptions(0.5).momentum(0.5));
  for (int step = 0; step < 2; ++step) {
    F::linear(x, w).sum().backward();  // dW = dY^T X, cut by rows
    EXPECT_EQ(w.grad().unsafeGetTensorImpl()->storage->writer_blocks, 2);
    EXPECT_EQ(ops::affine_grain(w.grad()), 256 * 784 / 2);
    // The next forward reads the weight in the blocks its update wrote.
    if (step == 1) {
      EXPECT_EQ(ops::writer_blocks(w), 2);
    }
    sgd.step();
    sgd.zero_grad();
  }
  EXPECT_EQ(w.grad().abs().max().item<float>(), 0.0f);
  // Steps of 0.5 * 32, then 0.5 * (32 + 0.5 * 32): 1 - 16 - 24.
  EXPECT_EQ(w.min().item<float>(), -39.0f);
  EXPECT_EQ(w.max().item<float>(), -39.0f);

  set_num_threads(1);
  EXPECT_EQ(row_blocks(true, false, 256, 784, 32, false), 0);
  set_num_threads(saved_threads);
}

// ---- mm ---------------------------------------------------------------------------------------
TEST(Mm, ValuesInEveryDtype) {
  for (ScalarType t : {kFloat, kDouble, kLong}) {
    Tensor c = mm(mat(kA, {2, 3}, t), mat(kB, {3, 2}, t));
    EXPECT_EQ(c.dtype(), t);
    EXPECT_TENSOR(c, {2, 2}, {58, 64, 139, 154});
  }
}

TEST(Mm, TransposedAndStridedInputs) {
  Tensor a = mat(kA, {2, 3}), b = mat(kB, {3, 2});
  Tensor at = tensor({1.0, 4.0, 2.0, 5.0, 3.0, 6.0}).reshape({3, 2});  // Aᵀ stored
  Tensor bt = tensor({7.0, 9.0, 11.0, 8.0, 10.0, 12.0}).reshape({2, 3});  // Bᵀ stored
  EXPECT_TENSOR(mm(at.t(), b), {2, 2}, {58, 64, 139, 154});
  EXPECT_TENSOR(mm(a, bt.t()), {2, 2}, {58, 64, 139, 154});
  EXPECT_TENSOR(mm(at.t(), bt.t()), {2, 2}, {58, 64, 139, 154});
  // Every other row and column of arange(24) as 4x6: [[0,2,4],[12,14,16]], strides (12, 2).
  Tensor strided = arange_as(24, {4, 6}).slice(0, 0, 4, 2).slice(1, 0, 6, 2);
  EXPECT_TENSOR(mm(strided, b), {2, 2}, {62, 68, 386, 428});
  // A broadcast right operand [[1,1],[2,2],[3,3]] (stride 0 along columns).
  Tensor bcast = tensor({1.0, 2.0, 3.0}).unsqueeze(1).expand({3, 2});
  EXPECT_TENSOR(mm(a, bcast), {2, 2}, {14, 14, 32, 32});
  // A column slice of a wider matrix (leading dimension 4, not 3).
  Tensor wide = tensor({1.0, 2.0, 3.0, -1.0, 4.0, 5.0, 6.0, -1.0}).reshape({2, 4}).slice(1, 0, 3);
  EXPECT_TENSOR(a.mm(b), {2, 2}, {58, 64, 139, 154});
  EXPECT_TENSOR(wide.mm(b), {2, 2}, {58, 64, 139, 154});
}

TEST(Mm, EmptyOperands) {
  EXPECT_TENSOR(mm(zeros({2, 0}), zeros({0, 3})), {2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_TENSOR(mm(zeros({0, 4}), zeros({4, 3})), {0, 3}, {});
}

TEST(Mm, GradientsByHand) {
  // L = sum(W ⊙ A·B), W = [[1,2],[3,4]]: dA = W·Bᵀ, dB = Aᵀ·W.
  //   dA = [[1·7+2·8, 1·9+2·10, 1·11+2·12], [3·7+4·8, 3·9+4·10, 3·11+4·12]] = [[23,29,35],[53,67,81]]
  //   dB = [[1·1+4·3, 1·2+4·4], [2·1+5·3, 2·2+5·4], [3·1+6·3, 3·2+6·4]] = [[13,18],[17,24],[21,30]]
  Tensor a = leaf(kA, {2, 3}), b = leaf(kB, {3, 2});
  Tensor c = mm(a, b);
  EXPECT_EQ(fn_name(c), "MmBackward0");
  (c * tensor({1.0, 2.0, 3.0, 4.0}).reshape({2, 2})).sum().backward();
  EXPECT_TENSOR(a.grad(), {2, 3}, {23, 29, 35, 53, 67, 81});
  EXPECT_TENSOR(b.grad(), {3, 2}, {13, 18, 17, 24, 21, 30});
}

TEST(Mm, GradientOfTransposedOperandKeepsItsLayout) {
  // W.t() is column-major: its gradient is computed transposed, so W.grad is contiguous.
  Tensor x = leaf(kA, {2, 3}), w = leaf(kA, {2, 3});
  mm(x, w.t()).sum().backward();
  EXPECT_TRUE(w.grad().is_contiguous());
  // d/dW sum(x·Wᵀ) = column sums of x for every row of W: [5,7,9].
  EXPECT_TENSOR(w.grad(), {2, 3}, {5, 7, 9, 5, 7, 9});
  EXPECT_TENSOR(x.grad(), {2, 3}, {5, 7, 9, 5, 7, 9});
}

TEST(Mm, OnlyTheInputThatRequiresGradGetsOne) {
  Tensor a = leaf(kA, {2, 3}), b = mat(kB, {3, 2});
  mm(a, b).sum().backward();
  // d/dA sum(A·B) = row sums of B: [15,19,23] in each row.
  EXPECT_TENSOR(a.grad(), {2, 3}, {15, 19, 23, 15, 19, 23});
  EXPECT_FALSE(b.grad().defined());
}

TEST(Mm, DoubleBackward) {
  // L = sum(A·B): g = dL/dA = 1·Bᵀ, g[i][k] = B[k][0] + B[k][1] = [15,19,23] per row.
  // h = sum(g²) = 2·(15² + 19² + 23²) = 2230; dh/dB[k][j] = Σ_i 2·g[i][k] = 4·(B[k][0] + B[k][1])
  //   = [[60,60],[76,76],[92,92]]; dh/dA = 0 (g does not depend on A).
  Tensor a = leaf(kA, {2, 3}, kDouble), b = leaf(kB, {3, 2}, kDouble);
  Tensor g = ag::grad({mm(a, b).sum()}, {a}, {}, nullopt, /*create_graph=*/true)[0];
  EXPECT_TENSOR(g, {2, 3}, {15, 19, 23, 15, 19, 23});
  Tensor h = (g * g).sum();
  EXPECT_TENSOR(h, {}, {2230});
  auto gg = ag::grad({h}, {a, b}, {}, nullopt, false, /*allow_unused=*/true);
  EXPECT_FALSE(gg[0].defined());
  EXPECT_TENSOR(gg[1], {3, 2}, {60, 60, 76, 76, 92, 92});
}

TEST(Mm, Gradcheck) {
  Tensor a = rand64({3, 4}), b = rand64({4, 5});
  auto fn = [](const ag::variable_list& x) { return mm(x[0], x[1]); };
  auto r = check_grad(fn, {a, b});
  EXPECT_TRUE(r) << r.message;
  auto rr = check_gradgrad(fn, {a, b});
  EXPECT_TRUE(rr) << rr.message;
  auto rt = check_grad([](const ag::variable_list& x) { return mm(x[0].t(), x[1].t()); },
                          {rand64({4, 3}), rand64({5, 4})});
  EXPECT_TRUE(rt) << rt.message;
}

TEST(Mm, Errors) {
  Tensor m23 = zeros({2, 3}), m45 = zeros({4, 5});
  EXPECT_THROW_MSG(mm(m23, m45), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_THROW_MSG(mm(m23, zeros({3})), "mat2 must be a matrix");
  EXPECT_THROW_MSG(mm(zeros({3}), m23), "self must be a matrix");
  EXPECT_THROW_MSG(mm(zeros({2, 2, 3}), m23), "self must be a matrix");
  EXPECT_THROW_MSG(mm(m23, zeros({3, 4}, dtype(kDouble))), "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(mm(m23.to(kDouble), zeros({3, 4})), "expected scalar type Double but found Float");
  EXPECT_THROW_MSG(mm(m23, zeros({3, 4}, dtype(kLong))), "expected scalar type Float but found Long");
  EXPECT_THROW_MSG(mm(m23.to(kBool), zeros({3, 4}, dtype(kBool))), "\"addmm_impl_cpu_\" not implemented for 'Bool'");
}

// ---- addmm -------------------------------------------------------------------------------------
TEST(Addmm, BiasShapesBetaAndAlpha) {
  Tensor a = mat(kA, {2, 3}), b = mat(kB, {3, 2});
  EXPECT_TENSOR(addmm(tensor({1.0, 2.0}), a, b), {2, 2}, {59, 66, 140, 156});
  EXPECT_TENSOR(addmm(tensor({{1.0, 2.0}}), a, b), {2, 2}, {59, 66, 140, 156});
  EXPECT_TENSOR(addmm(tensor({{1.0, 2.0}, {3.0, 4.0}}), a, b), {2, 2}, {59, 66, 142, 158});
  EXPECT_TENSOR(addmm(tensor(10.0), a, b), {2, 2}, {68, 74, 149, 164});
  // 0.5·[1,2] + 2·A·B = [[116.5, 129], [278.5, 309]].
  EXPECT_TENSOR(addmm(tensor({1.0, 2.0}), a, b, 0.5, 2), {2, 2}, {116.5, 129, 278.5, 309});
  // Long: 2·[1,2] + 3·A·B.
  Tensor al = mat(kA, {2, 3}, kLong), bl = mat(kB, {3, 2}, kLong);
  EXPECT_TENSOR(addmm(tensor({1, 2}), al, bl, 2, 3), {2, 2}, {176, 196, 419, 466});
}

TEST(Addmm, BroadcastBiasGivesTheBitsOfAFullBias) {
  // A float bias broadcast over the rows is written block by block inside the
  // threaded product (kernels::gemm_onto_rows); a full bias is copied first. Both
  // must give the same bits, small or split over threads, with beta and alpha.
  const int saved_threads = get_num_threads();
  set_num_threads(2);
  manual_seed(3);
  for (const auto& [M, N, K] :
       {std::array<int64_t, 3>{5, 7, 3}, {96, 784, 64}, {32, 784, 256}, {512, 256, 64}, {300, 1, 9}}) {
    const Tensor a = randn({M, K}), b = randn({N, K}).t(), bias = randn({N});
    for (const auto& [beta, alpha] : {std::pair<double, double>{1, 1}, {0.5, -2}}) {
      const Tensor full_bias = bias.expand({M, N}).contiguous();
      EXPECT_TRUE(equal(addmm(bias, a, b, beta, alpha), addmm(full_bias, a, b, beta, alpha))) << M << "x" << N;
      EXPECT_TRUE(equal(addmm(bias.unsqueeze(0), a, b, beta, alpha), addmm(full_bias, a, b, beta, alpha)));
    }
  }
  EXPECT_TENSOR(addmm(tensor({1.0f, 2.0f}), mat(kA, {2, 3}), mat(kB, {3, 2})), {2, 2}, {59, 66, 140, 156});
  set_num_threads(saved_threads);
}

TEST(Addmm, BetaZeroIgnoresNaNBiasAndAlphaZeroIgnoresNaNMatrices) {
  const double nan = std::nan("");
  Tensor a = mat(kA, {2, 3}), b = mat(kB, {3, 2});
  EXPECT_TENSOR(addmm(full({2}, nan), a, b, 0, 1), {2, 2}, {58, 64, 139, 154});
  EXPECT_TENSOR(addmm(tensor({1.0, 2.0}), full({2, 3}, nan), b, 1, 0), {2, 2}, {1, 2, 1, 2});
}

TEST(Addmm, GradientsByHand) {
  // out = β·bias + α·A·B with β = 0.5, α = 2, L = sum(out):
  //   dbias = β · (number of rows) = 0.5·2 = 1 per element; dA = α·(row sums of B) = 2·[15,19,23];
  //   dB = α·(column sums of A) = 2·[5,7,9] in each column.
  Tensor bias = leaf({1, 2}, {2}), a = leaf(kA, {2, 3}), b = leaf(kB, {3, 2});
  Tensor out = addmm(bias, a, b, 0.5, 2);
  EXPECT_EQ(fn_name(out), "AddmmBackward0");
  out.sum().backward();
  EXPECT_TENSOR(bias.grad(), {2}, {1, 1});
  EXPECT_TENSOR(a.grad(), {2, 3}, {30, 38, 46, 30, 38, 46});
  EXPECT_TENSOR(b.grad(), {3, 2}, {10, 10, 14, 14, 18, 18});
}

TEST(Addmm, GradcheckWithBroadcastBiasAndTransposedMatrices) {
  auto r = check_grad([](const ag::variable_list& x) { return addmm(x[0], x[1], x[2].t(), 0.7, -1.3); },
                         {rand64({4}), rand64({3, 5}), rand64({4, 5})});
  EXPECT_TRUE(r) << r.message;
  auto rr = check_gradgrad([](const ag::variable_list& x) { return addmm(x[0], x[1], x[2], 0.7, -1.3); },
                              {rand64({1, 4}), rand64({3, 5}), rand64({5, 4})});
  EXPECT_TRUE(rr) << rr.message;
}

TEST(Addmm, Errors) {
  Tensor m23 = zeros({2, 3}), m34 = zeros({3, 4});
  EXPECT_THROW_MSG(addmm(zeros({4}, dtype(kDouble)), m23, m34), "self and mat2 must have the same dtype");
  EXPECT_THROW_MSG(addmm(zeros({4}), m23.to(kDouble), m34), "mat1 and mat2 must have the same dtype");
  EXPECT_THROW_MSG(addmm(zeros({4}), zeros({3}), m34), "mat1 must be a matrix, got 1-D tensor");
  EXPECT_THROW_MSG(addmm(zeros({4}), m23, zeros({3})), "mat2 must be a matrix, got 1-D tensor");
  EXPECT_THROW_MSG(addmm(zeros({4}), m23, zeros({4, 5})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_THROW_MSG(addmm(zeros({3}), m23, m34),
                   "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1."
                   "  Target sizes: [2, 4].  Tensor sizes: [3]");
}

// ---- bmm ---------------------------------------------------------------------------------------
TEST(Bmm, ValuesGradientsAndName) {
  // Batch 0: A·B as above; batch 1: 2A·I-like B' = [[1,0],[0,1],[1,1]] → 2·[[1+3, 2+3],[4+6, 5+6]].
  Tensor a = leaf({1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12}, {2, 2, 3});
  Tensor b = leaf({7, 8, 9, 10, 11, 12, 1, 0, 0, 1, 1, 1}, {2, 3, 2});
  Tensor c = bmm(a, b);
  EXPECT_EQ(fn_name(c), "BmmBackward0");
  EXPECT_TENSOR(c, {2, 2, 2}, {58, 64, 139, 154, 8, 10, 20, 22});
  c.sum().backward();
  // dA[b] = row sums of B[b]: batch 0 [15,19,23], batch 1 [1,1,2]; dB[b] = column sums of A[b].
  EXPECT_TENSOR(a.grad(), {2, 2, 3}, {15, 19, 23, 15, 19, 23, 1, 1, 2, 1, 1, 2});
  EXPECT_TENSOR(b.grad(), {2, 3, 2}, {5, 5, 7, 7, 9, 9, 10, 10, 14, 14, 18, 18});
}

TEST(Bmm, TransposedBatchesAndDtypes) {
  for (ScalarType t : {kFloat, kDouble, kLong}) {
    // permute(0, 2, 1) of a contiguous batch: read through the transpose flag.
    Tensor at = tensor({1, 4, 2, 5, 3, 6}, dtype(t)).reshape({1, 3, 2}).transpose(1, 2);
    EXPECT_TENSOR(at.bmm(mat(kB, {1, 3, 2}, t)), {1, 2, 2}, {58, 64, 139, 154});
  }
}

TEST(Bmm, GradcheckManySmallBatches) {
  // 40 batches of 3x2·2x4: below the size where batches are split across threads.
  auto r = check_grad([](const ag::variable_list& x) { return bmm(x[0], x[1].transpose(1, 2)); },
                         {rand64({40, 3, 2}), rand64({40, 4, 2})});
  EXPECT_TRUE(r) << r.message;
  auto rr = check_gradgrad([](const ag::variable_list& x) { return bmm(x[0], x[1]); },
                              {rand64({2, 3, 2}), rand64({2, 2, 4})});
  EXPECT_TRUE(rr) << rr.message;
}

TEST(Bmm, Errors) {
  Tensor b234 = zeros({2, 3, 4});
  EXPECT_THROW_MSG(bmm(zeros({2, 3}), b234), "batch1 must be a 3D tensor");
  EXPECT_THROW_MSG(bmm(b234, zeros({4, 5})), "batch2 must be a 3D tensor");
  EXPECT_THROW_MSG(bmm(b234, zeros({3, 4, 5})),
                   "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].");
  EXPECT_THROW_MSG(bmm(b234, zeros({2, 5, 5})),
                   "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].");
  EXPECT_THROW_MSG(bmm(b234, zeros({2, 4, 5}, dtype(kDouble))), "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(bmm(b234.to(kBool), zeros({2, 4, 5}, dtype(kBool))), "\"bmm\" not implemented for 'Bool'");
}

// ---- matmul ------------------------------------------------------------------------------------
TEST(Matmul, VectorDotVectorIsZeroDim) {
  // [1,2,3]·[4,5,6] = 32; d/da = b, d/db = a.
  Tensor a = leaf({1, 2, 3}, {3}), b = leaf({4, 5, 6}, {3});
  Tensor c = matmul(a, b);
  EXPECT_EQ(fn_name(c), "DotBackward0");
  EXPECT_TENSOR(c, {}, {32});
  c.backward();
  EXPECT_TENSOR(a.grad(), {3}, {4, 5, 6});
  EXPECT_TENSOR(b.grad(), {3}, {1, 2, 3});
  // Strided and broadcast vectors: [0,2,4]·[1,1,1] = 6.
  EXPECT_TENSOR(matmul(arange_as(6, {6}).slice(0, 0, 6, 2), ones({1}).expand({3})), {}, {6});
  EXPECT_TENSOR(matmul(tensor({1, 2, 3}), tensor({4, 5, 6})), {}, {32});
}

TEST(Matmul, MatrixVector) {
  // A·[1,0,-1] = [1-3, 4-6] = [-2,-2]; dA = g ⊗ v (each row [1,0,-1]), dv = Aᵀ·1 = [5,7,9].
  Tensor a = leaf(kA, {2, 3}), v = leaf({1, 0, -1}, {3});
  Tensor c = matmul(a, v);
  EXPECT_EQ(fn_name(c), "MvBackward0");
  EXPECT_TENSOR(c, {2}, {-2, -2});
  c.sum().backward();
  EXPECT_TENSOR(a.grad(), {2, 3}, {1, 0, -1, 1, 0, -1});
  EXPECT_TENSOR(v.grad(), {3}, {5, 7, 9});
  EXPECT_TENSOR(matmul(a.detach().t(), tensor({1.0, 1.0})), {3}, {5, 7, 9});
}

TEST(Matmul, VectorMatrix) {
  // [1,1]·A = [5,7,9]; dv = A·1 = [6,15], dA = v ⊗ 1.
  Tensor v = leaf({1, 1}, {2}), a = leaf(kA, {2, 3});
  Tensor c = matmul(v, a);
  EXPECT_EQ(fn_name(c), "SqueezeBackward3");
  EXPECT_EQ(c.grad_fn()->next_edges()[0].function->name(), "MmBackward0");
  EXPECT_TENSOR(c, {3}, {5, 7, 9});
  c.sum().backward();
  EXPECT_TENSOR(v.grad(), {2}, {6, 15});
  EXPECT_TENSOR(a.grad(), {2, 3}, {1, 1, 1, 1, 1, 1});
}

TEST(Matmul, BatchTimesMatrixFoldsIntoOneMm) {
  // a = arange(12) as [2,2,3] (rows [0,1,2],[3,4,5],[6,7,8],[9,10,11]), b = [[1,0],[0,1],[1,1]]:
  // row r ↦ [r0 + r2, r1 + r2]. d/db sum = Σ_rows a[r][k] = [18,22,26] in each column;
  // d/da sum = row sums of b = [1,1,2] for every row.
  Tensor a = arange_as(12, {2, 2, 3}).requires_grad_(true), b = leaf({1, 0, 0, 1, 1, 1}, {3, 2});
  Tensor c = matmul(a, b);
  EXPECT_EQ(fn_name(c), "UnsafeViewBackward0");
  EXPECT_EQ(c.grad_fn()->next_edges()[0].function->name(), "MmBackward0");
  EXPECT_TENSOR(c, {2, 2, 2}, {2, 3, 8, 9, 14, 15, 20, 21});
  c.sum().backward();
  EXPECT_TENSOR(b.grad(), {3, 2}, {18, 18, 22, 22, 26, 26});
  EXPECT_TENSOR(a.grad(), {2, 2, 3}, {1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2});
}

TEST(Matmul, PermutedBatchTimesMatrixUsesBmm) {
  // permute(0, 2, 1) of a contiguous [2,3,2]: libtorch does not fold it (bmm reads it transposed).
  Tensor base = arange_as(12, {2, 3, 2});
  Tensor a = base.transpose(1, 2);  // batch 0 [[0,2,4],[1,3,5]], batch 1 [[6,8,10],[7,9,11]]
  Tensor b = tensor({1.0, 0.0, 0.0, 1.0, 1.0, 1.0}).reshape({3, 2});
  EXPECT_TENSOR(matmul(a, b), {2, 2, 2}, {4, 6, 6, 8, 16, 18, 18, 20});
  EXPECT_THROW_MSG(matmul(a, zeros({5, 6})),
                   "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 5].");
  EXPECT_THROW_MSG(matmul(base.transpose(0, 1), zeros({5, 6})),
                   "mat1 and mat2 shapes cannot be multiplied (6x2 and 5x6)");
}

TEST(Matmul, BroadcastBatch) {
  // a [2,1,1,3] rows a0 = [0,1,2], a1 = [3,4,5]; b [3,3,1] columns b0 = [0,1,2], b1 = [3,4,5], b2 = [6,7,8].
  // out[i][j] = a_i·b_j = [[5,14,23],[14,50,86]]; d/da_i sum = Σ_j b_j = [9,12,15]; d/db_j sum = a0 + a1 = [3,5,7].
  Tensor a = arange_as(6, {2, 1, 1, 3}).requires_grad_(true), b = arange_as(9, {3, 3, 1}).requires_grad_(true);
  Tensor c = matmul(a, b);
  EXPECT_EQ(fn_name(c), "UnsafeViewBackward0");
  EXPECT_EQ(c.grad_fn()->next_edges()[0].function->name(), "BmmBackward0");
  EXPECT_TENSOR(c, {2, 3, 1, 1}, {5, 14, 23, 14, 50, 86});
  c.sum().backward();
  EXPECT_TENSOR(a.grad(), {2, 1, 1, 3}, {9, 12, 15, 9, 12, 15});
  EXPECT_TENSOR(b.grad(), {3, 3, 1}, {3, 5, 7, 3, 5, 7, 3, 5, 7});
}

TEST(Matmul, LowerRankOnTheLeft) {
  // [1,1,1]·arange(12) as [2,3,2] = column sums of each batch: [6,9], [24,27].
  Tensor b = arange_as(12, {2, 3, 2}).requires_grad_(true);
  Tensor c = matmul(ones({3}), b);
  EXPECT_EQ(fn_name(c), "UnsafeViewBackward0");
  EXPECT_TENSOR(c, {2, 2}, {6, 9, 24, 27});
  // [[1,1,1],[1,0,0]]·b: row 0 the column sums, row 1 the first row of each batch. libtorch
  // computes it as (bᵀ folded · aᵀ)ᵀ made contiguous, hence CloneBackward0.
  Tensor m = tensor({1.0, 1.0, 1.0, 1.0, 0.0, 0.0}).reshape({2, 3});
  Tensor d = matmul(m, b);
  EXPECT_EQ(fn_name(d), "CloneBackward0");
  EXPECT_TRUE(d.is_contiguous());
  EXPECT_TENSOR(d, {2, 2, 2}, {6, 9, 0, 1, 24, 27, 6, 7});
  d.sum().backward();
  // d/db[k][j] = Σ_i m[i][k] = [2,1,1] for every column and batch.
  EXPECT_TENSOR(b.grad(), {2, 3, 2}, {2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1});
}

TEST(Matmul, BatchTimesVector) {
  // arange(12) as [2,2,3] · [1,0,-1] = r0 - r2 = -2 for every row.
  Tensor v = leaf({1, 0, -1}, {3});
  Tensor c = matmul(arange_as(12, {2, 2, 3}), v);
  EXPECT_EQ(fn_name(c), "UnsafeViewBackward0");
  EXPECT_TENSOR(c, {2, 2}, {-2, -2, -2, -2});
  c.sum().backward();
  EXPECT_TENSOR(v.grad(), {3}, {18, 22, 26});
}

TEST(Matmul, LongAndMethods) {
  Tensor a = mat(kA, {2, 3}, kLong), b = mat(kB, {3, 2}, kLong);
  Tensor c = a.matmul(b);
  EXPECT_EQ(c.dtype(), kLong);
  EXPECT_TENSOR(c, {2, 2}, {58, 64, 139, 154});
  EXPECT_TENSOR(matmul(a.unsqueeze(0).expand({2, 2, 3}), b.unsqueeze(0)), {2, 2, 2},
                {58, 64, 139, 154, 58, 64, 139, 154});
}

TEST(Matmul, GradcheckEveryDispatchPath) {
  struct Case {
    std::vector<int64_t> a, b;
  };
  const std::vector<Case> cases{{{3}, {3}},          {{2, 3}, {3}},       {{3}, {3, 2}},       {{2, 3}, {3, 4}},
                                {{2, 2, 3}, {3, 2}}, {{2, 2, 3}, {3}},    {{3}, {2, 3, 2}},    {{4, 3}, {2, 3, 2}},
                                {{2, 1, 2, 3}, {3, 3, 2}}, {{2, 2, 3}, {2, 3, 2}}};
  for (const Case& c : cases) {
    auto fn = [](const ag::variable_list& x) { return matmul(x[0], x[1]); };
    auto r = check_grad(fn, {rand64(c.a), rand64(c.b)});
    EXPECT_TRUE(r) << IntArrayRef(c.a) << " @ " << IntArrayRef(c.b) << ": " << r.message;
  }
  auto rr = check_gradgrad([](const ag::variable_list& x) { return matmul(x[0], x[1]); },
                              {rand64({2, 1, 2, 3}), rand64({3, 3, 2})});
  EXPECT_TRUE(rr) << rr.message;
  auto rv = check_gradgrad([](const ag::variable_list& x) { return matmul(x[0], x[1]); },
                              {rand64({2, 3}), rand64({3})});
  EXPECT_TRUE(rv) << rv.message;
  auto rd = check_gradgrad([](const ag::variable_list& x) { return matmul(x[0], x[1]); }, {rand64({3}), rand64({3})});
  EXPECT_TRUE(rd) << rd.message;
}

TEST(Matmul, Errors) {
  Tensor m23 = zeros({2, 3}), b234 = zeros({2, 3, 4});
  EXPECT_THROW_MSG(matmul(zeros({}), m23), "both arguments to matmul need to be at least 1D, but they are 0D and 2D");
  EXPECT_THROW_MSG(matmul(m23, zeros({})), "both arguments to matmul need to be at least 1D, but they are 2D and 0D");
  EXPECT_THROW_MSG(matmul(zeros({3}), zeros({4})),
                   "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, "
                   "but got 3 and 4 elements respectively");
  EXPECT_THROW_MSG(matmul(zeros({2}), zeros({3}, dtype(kDouble))),
                   "dot : expected both vectors to have same dtype, but found Float and Double");
  EXPECT_THROW_MSG(matmul(m23, zeros({4})), "size mismatch, got 2, 2x3,4");
  EXPECT_THROW_MSG(matmul(zeros({4}), zeros({3, 4})), "mat1 and mat2 shapes cannot be multiplied (1x4 and 3x4)");
  EXPECT_THROW_MSG(matmul(m23, zeros({4, 5})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_THROW_MSG(matmul(b234, zeros({5, 6})), "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x6)");
  EXPECT_THROW_MSG(matmul(b234, zeros({5})), "size mismatch, got 6, 6x4,5");
  EXPECT_THROW_MSG(matmul(zeros({5}), b234), "size mismatch, got 8, 8x3,5");
  EXPECT_THROW_MSG(matmul(b234, b234),
                   "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 3].");
  EXPECT_THROW_MSG(matmul(b234, zeros({3, 4, 5})),
                   "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
  EXPECT_THROW_MSG(matmul(m23, zeros({3, 4}, dtype(kDouble))), "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(matmul(m23, zeros({3}, dtype(kDouble))), "expected scalar type Float but found Double");
  EXPECT_THROW_MSG(matmul(zeros({3}, dtype(kBool)), zeros({3}, dtype(kBool))), "\"dot\" not implemented for 'Bool'");
  EXPECT_THROW_MSG(matmul(m23.to(kBool), zeros({3}, dtype(kBool))), "\"addmv_impl_cpu\" not implemented for 'Bool'");
}

// ---- the specification's networks --------------------------------------------------------------
TEST(SeedNetworks, TwoMatricesChainedAndSummed) {
  // y = sum(x·W1·W2), x = [[1,2]], W1 = [[0.5,0.3,0.1],[0.2,0.4,0.6]], W2 = [[0.1],[0.2],[0.3]].
  // x·W1 = [0.9,1.1,1.3]; y = 0.09 + 0.22 + 0.39 = 0.70.
  // dy/dW2 = (x·W1)ᵀ = [0.9,1.1,1.3]ᵀ; dy/d(x·W1) = W2ᵀ = [0.1,0.2,0.3];
  // dy/dW1 = xᵀ·[0.1,0.2,0.3] = [[0.1,0.2,0.3],[0.2,0.4,0.6]];
  // dy/dx = [0.1,0.2,0.3]·W1ᵀ = [0.05+0.06+0.03, 0.02+0.08+0.18] = [0.14, 0.28].
  Tensor x = leaf({1, 2}, {1, 2}), w1 = leaf({0.5, 0.3, 0.1, 0.2, 0.4, 0.6}, {2, 3}), w2 = leaf({0.1, 0.2, 0.3}, {3, 1});
  Tensor y = x.matmul(w1).matmul(w2).sum();
  EXPECT_TENSOR(y, {}, {0.70});
  y.backward();
  EXPECT_TENSOR(w2.grad(), {3, 1}, {0.9, 1.1, 1.3});
  EXPECT_TENSOR(w1.grad(), {2, 3}, {0.1, 0.2, 0.3, 0.2, 0.4, 0.6});
  EXPECT_TENSOR(x.grad(), {1, 2}, {0.14, 0.28});
}

TEST(SeedNetworks, ThreeLayerWithBiasSquaredOutput) {
  // h1 = x·W1 + b1, h2 = h1·W2, L = h2·h2, x = [[1,2]], W1 as above, b1 = [[0.1,0.2,0.3]], W2 = [[0.1],[0.2],[0.3]].
  // h1 = [0.9,1.1,1.3] + b1 = [1.0,1.3,1.6]; h2 = 0.1 + 0.26 + 0.48 = 0.84; L = 0.7056.
  // dL/dh2 = 2·0.84 = 1.68; dW2 = h1ᵀ·1.68 = [1.68, 2.184, 2.688]ᵀ;
  // dh1 = 1.68·W2ᵀ = [0.168, 0.336, 0.504] = db1; dW1 = xᵀ·dh1 = [[0.168,0.336,0.504],[0.336,0.672,1.008]];
  // dx = dh1·W1ᵀ = [0.084+0.1008+0.0504, 0.0336+0.1344+0.3024] = [0.2352, 0.4704].
  Tensor x = leaf({1, 2}, {1, 2}), w1 = leaf({0.5, 0.3, 0.1, 0.2, 0.4, 0.6}, {2, 3});
  Tensor b1 = leaf({0.1, 0.2, 0.3}, {1, 3}), w2 = leaf({0.1, 0.2, 0.3}, {3, 1});
  Tensor h1 = x.matmul(w1) + b1;
  Tensor h2 = h1.matmul(w2);
  Tensor loss = h2 * h2;
  EXPECT_TENSOR(loss, {1, 1}, {0.7056});
  loss.backward();
  EXPECT_TENSOR(w2.grad(), {3, 1}, {1.68, 2.184, 2.688});
  EXPECT_TENSOR(b1.grad(), {1, 3}, {0.168, 0.336, 0.504});
  EXPECT_TENSOR(w1.grad(), {2, 3}, {0.168, 0.336, 0.504, 0.336, 0.672, 1.008});
  EXPECT_TENSOR(x.grad(), {1, 2}, {0.2352, 0.4704});
}

TEST(SeedNetworks, TwoLayerWithBiasSummedSquare) {
  // x = [[1,2,3]], W1 = [[0.5,0.3],[0.2,0.4],[0.1,0.6]], b1 = [[0.1,0.2]], W2 = [[0.3],[0.5]], L = sum(out²).
  // x·W1 = [1.2, 2.9]; h1 = [1.3, 3.1]; out = 0.39 + 1.55 = 1.94; L = 3.7636; dL/dout = 3.88.
  // dW2 = h1ᵀ·3.88 = [5.044, 12.028]ᵀ; dh1 = 3.88·[0.3,0.5] = [1.164, 1.94] = db1;
  // dW1 = xᵀ·dh1 = [[1.164,1.94],[2.328,3.88],[3.492,5.82]];
  // dx = dh1·W1ᵀ = [0.582+0.582, 0.2328+0.776, 0.1164+1.164] = [1.164, 1.0088, 1.2804].
  Tensor x = leaf({1, 2, 3}, {1, 3}), w1 = leaf({0.5, 0.3, 0.2, 0.4, 0.1, 0.6}, {3, 2});
  Tensor b1 = leaf({0.1, 0.2}, {1, 2}), w2 = leaf({0.3, 0.5}, {2, 1});
  Tensor out = (x.matmul(w1) + b1).matmul(w2);
  Tensor loss = out.pow(2).sum();
  EXPECT_TENSOR(loss, {}, {3.7636}, 1e-5);
  loss.backward();
  EXPECT_TENSOR(w2.grad(), {2, 1}, {5.044, 12.028}, 1e-5);
  EXPECT_TENSOR(b1.grad(), {1, 2}, {1.164, 1.94}, 1e-5);
  EXPECT_TENSOR(w1.grad(), {3, 2}, {1.164, 1.94, 2.328, 3.88, 3.492, 5.82}, 1e-5);
  EXPECT_TENSOR(x.grad(), {1, 3}, {1.164, 1.0088, 1.2804}, 1e-5);
}

TEST(SeedNetworks, BroadcastBiasGetsColumnSumsOfTheUpstreamGradient) {
  // A bias of shape {3} added to a {4,3} batch x·Wᵀ, with an upstream gradient g whose
  // columns sum to different values (6, 4, 7): db = column sums of g; dW = gᵀ·x; dx = g·W.
  // x = [[1,0],[0,1],[1,1],[2,-1]], W = [[1,2],[0,1],[3,-1]], g = [[1,0,2],[3,1,0],[0,3,1],[2,0,4]]:
  //   dW = [[1+4, 3-2], [3, 1+3], [2+1+8, 1-4]] = [[5,1],[3,4],[11,-3]];
  //   dx = [[1+6, 2-2], [3, 6+1], [3, 3-1], [2+12, 4-4]] = [[7,0],[3,7],[3,2],[14,0]].
  const std::vector<double> kX = {1, 0, 0, 1, 1, 1, 2, -1}, kW = {1, 2, 0, 1, 3, -1};
  Tensor g = mat({1, 0, 2, 3, 1, 0, 0, 3, 1, 2, 0, 4}, {4, 3});
  for (bool functional : {false, true}) {
    SCOPED_TRACE(functional ? "F::linear" : "matmul + bias");
    Tensor x = leaf(kX, {4, 2}), w = leaf(kW, {3, 2}), b = leaf({0.5, -1, 2}, {3});
    Tensor y = functional ? F::linear(x, w, b) : x.matmul(w.t()) + b;
    EXPECT_TENSOR(y, {4, 3}, {1.5, -1, 5, 2.5, 0, 1, 3.5, 0, 4, 0.5, -2, 9});
    y.backward(g);
    EXPECT_TENSOR(b.grad(), {3}, {6, 4, 7});
    EXPECT_TENSOR(w.grad(), {3, 2}, {5, 1, 3, 4, 11, -3});
    EXPECT_TENSOR(x.grad(), {4, 2}, {7, 0, 3, 7, 3, 2, 14, 0});
  }
}

// ---- F::linear -----------------------------------------------------------------------------------
TEST(Linear, TwoDimensionalWithBiasIsOneAddmm) {
  // x·Wᵀ + b with x = A [2,3], W = Bᵀ [2,3] (so x·Wᵀ = A·B), b = [1,2].
  Tensor x = leaf(kA, {2, 3}), w = leaf({7, 9, 11, 8, 10, 12}, {2, 3}), b = leaf({1, 2}, {2});
  Tensor y = F::linear(x, w, b);
  EXPECT_EQ(fn_name(y), "AddmmBackward0");
  EXPECT_TENSOR(y, {2, 2}, {59, 66, 140, 156});
  y.sum().backward();
  // db = rows = 2; dW[o] = Σ_rows x = [5,7,9]; dx[r] = Σ_o W[o] = [15,19,23].
  EXPECT_TENSOR(b.grad(), {2}, {2, 2});
  EXPECT_TENSOR(w.grad(), {2, 3}, {5, 7, 9, 5, 7, 9});
  EXPECT_TRUE(w.grad().is_contiguous());
  EXPECT_TENSOR(x.grad(), {2, 3}, {15, 19, 23, 15, 19, 23});
}

TEST(Linear, NamesAndValuesForOtherRanks) {
  Tensor w = tensor({7.0, 9.0, 11.0, 8.0, 10.0, 12.0}).reshape({2, 3}).requires_grad_(true);
  Tensor b = tensor({1.0, 2.0}).requires_grad_(true);
  Tensor x2 = mat(kA, {2, 3});
  EXPECT_EQ(fn_name(F::linear(x2, w)), "MmBackward0");
  Tensor x3 = tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 1.0}).reshape({3, 1, 3});
  Tensor y3 = F::linear(x3, w, b);
  EXPECT_EQ(fn_name(y3), "AddBackward0");
  EXPECT_TENSOR(y3, {3, 1, 2}, {59, 66, 140, 156, 12, 14});
  EXPECT_EQ(fn_name(F::linear(x3, w)), "UnsafeViewBackward0");
  Tensor y1 = F::linear(tensor({1.0, 2.0, 3.0}), w, b);
  EXPECT_EQ(fn_name(y1), "AddBackward0");
  EXPECT_TENSOR(y1, {2}, {59, 66});
  EXPECT_EQ(fn_name(F::linear(tensor({1.0, 2.0, 3.0}), w)), "SqueezeBackward3");
  // A 1-D weight: a matrix-vector product.
  EXPECT_TENSOR(F::linear(x2, tensor({1.0, 0.0, -1.0})), {2}, {-2, -2});
}

TEST(Linear, GradcheckFourDimensionalInput) {
  auto r = check_grad([](const ag::variable_list& x) { return F::linear(x[0], x[1], x[2]); },
                         {rand64({2, 3, 2, 4}), rand64({5, 4}), rand64({5})});
  EXPECT_TRUE(r) << r.message;
  auto rr = check_gradgrad([](const ag::variable_list& x) { return F::linear(x[0], x[1], x[2]); },
                              {rand64({3, 4}), rand64({2, 4}), rand64({2})});
  EXPECT_TRUE(rr) << rr.message;
}

TEST(Linear, Errors) {
  Tensor x = zeros({2, 3});
  EXPECT_THROW_MSG(F::linear(x, zeros({5, 4}), zeros({5})), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  EXPECT_THROW_MSG(F::linear(x, zeros({2, 5, 3})), "t() expects a tensor with <= 2 dimensions, but self is 3D");
  EXPECT_THROW_MSG(F::linear(x, zeros({5, 3}), zeros({4})),
                   "The expanded size of the tensor (5) must match the existing size (4) at non-singleton dimension 1."
                   "  Target sizes: [2, 5].  Tensor sizes: [4]");
  EXPECT_THROW_MSG(F::linear(zeros({}), zeros({5, 3})),
                   "both arguments to matmul need to be at least 1D, but they are 0D and 2D");
  EXPECT_THROW_MSG(F::linear(x, zeros({5, 3}, dtype(kDouble))), "expected scalar type Float but found Double");
}
