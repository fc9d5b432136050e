#pragma once
// Matrix products on raw row-major memory, no autograd: float32 through oneDNN's
// dnnl_sgemm, float64 through OpenBLAS's cblas_dgemm, int64 through a plain loop
// (libtorch multiplies integer matrices too; that path is for correctness only).
#include <cstdint>
#include <optional>

namespace tg::kernels {

// How BLAS reads a rows x cols matrix whose elements are row_stride / col_stride
// apart: row-major with leading dimension ld, or (trans) as the transpose of a
// row-major cols x rows matrix. nullopt when neither fits (both strides above 1,
// or broadcast rows/columns): the caller copies it to contiguous memory then.
struct BlasMatrix {
  bool trans = false;
  int64_t ld = 1;
};
std::optional<BlasMatrix> blas_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride);

// C = alpha * op(A) * op(B) + beta * C, all row-major; op(X) is X, or X transposed
// when its flag is set; op(A) is M x K, op(B) K x N, C M x N. With beta == 0, C is
// written without being read (it may hold garbage or NaN); with alpha == 0 or
// K == 0, A and B are not read.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
// The float gemm with C's rows first set to `row` (N values; nullptr leaves C as
// it is): C = alpha * op(A) * op(B) + beta * [row; row; ...], a linear layer's
// product onto its bias. b_rows_by_thread: B (transposed) was last written in
// blocks of its rows, one per thread, and the threads should each read their own
// (Note [GEMM threads]). Returns how many blocks of whole rows of C the product
// was cut into over the threads: 0 when it ran as one block or by columns.
int64_t gemm_onto_rows(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                       int64_t lda, const float* B, int64_t ldb, float beta, const float* row, float* C, int64_t ldc,
                       bool b_rows_by_thread = false);
// Whether gemm_onto_rows runs an M x N x K product as one block on the calling
// thread, whatever the thread count (too small to cut over the threads).
bool float_gemm_runs_whole(int64_t M, int64_t N, int64_t K);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
          const double* B, int64_t ldb, double beta, double* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t alpha, const int64_t* A, int64_t lda,
          const int64_t* B, int64_t ldb, int64_t beta, int64_t* C, int64_t ldc);

// sum_i x[i * incx] * y[i * incy], as libtorch's dot: BLAS's sdot / ddot when the
// count and increments fit its 32-bit ints, a loop in order otherwise (and for int64).
float dot(int64_t n, const float* x, int64_t incx, const float* y, int64_t incy);
double dot(int64_t n, const double* x, int64_t incx, const double* y, int64_t incy);
int64_t dot(int64_t n, const int64_t* x, int64_t incx, const int64_t* y, int64_t incy);

// gemm on `batch` matrix triples at A + b * stride_a, B + b * stride_b and
// C + b * stride_c (a stride of 0 reuses one matrix for every batch).
template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c);

}  // namespace tg::kernels
