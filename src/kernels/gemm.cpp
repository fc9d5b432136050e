#include "kernels/gemm.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include "core/allocator.h"
#include "core/parallel.h"
#include "tensorgrad/error.h"

namespace tg::kernels {
namespace {

// Integer arithmetic wraps around, as libtorch's, without signed-overflow UB.
int64_t wrap_mul(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}
int64_t wrap_add(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}

// C = beta * C for the cases where the product contributes nothing (K == 0 or
// alpha == 0); beta == 0 overwrites, so garbage or NaN in C does not survive.
template <class T>
void scale_rows(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* row = C + i * ldc;
    if (beta == T(0)) std::fill(row, row + N, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < N; ++j) {
        if constexpr (std::is_integral_v<T>) row[j] = wrap_mul(row[j], beta);
        else row[j] *= beta;
      }
  }
}

// Whether a batch of products of `work` multiply-adds each is split across
// threads (each product then single-threaded: float products always run on the
// calling thread inside a parallel region, and OpenBLAS does for products up to
// 64³) instead of threading each product. Measured on 2 threads (oneDNN 2.6,
// OpenBLAS 0.3.21): float products from 16³ to 192³ run 1.15-3.4x faster split
// (each is too small to share). Above 64³ OpenBLAS threads a double
// product itself and nesting its threads inside ours was over 10x slower; below
// 32³ splitting doubles was slower too, so they are split only in between. The
// integer loop has no threads of its own.
template <class T>
bool split_batch(int64_t work) {
  if constexpr (std::is_same_v<T, float>) return work <= 192 * 192 * 192;
  else if constexpr (std::is_same_v<T, double>) return work >= 32 * 32 * 32 && work <= 64 * 64 * 64;
  else return true;
}

// Each thread's share of a split batch: enough multiply-adds to pay for waking it.
constexpr int64_t kMinWorkPerThread = 1 << 16;

// Runs dnnl_sgemm with one OpenMP thread allowed: oneDNN then starts no threads of
// its own (tensorgrad's pool does the threading).
void dnnl_sgemm_serial(char trans_a, char trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                       int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const int threads = omp_get_max_threads();
  if (threads != 1) omp_set_num_threads(1);
  const dnnl_status_t status = dnnl_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (threads != 1) omp_set_num_threads(threads);
  TG_INTERNAL_ASSERT(status == dnnl_success, "dnnl_sgemm failed with status ", static_cast<int>(status));
}

// Note [Narrow products]: oneDNN 2.6 runs a product with 2 to 15 columns of C and
// a transposed operand 2-6x slower than the same product turned around, C^T =
// op(B)^T op(A)^T, which has that many rows instead. Measured on one Zen 4 core,
// a 10-class linear layer (B transposed) at batch 128, 128x10x128: 8.0 us as it
// is, 4.4 us turned around, the transposed add into C included; at batch 512 with
// K = 784, 170 -> 85 us. With neither operand transposed, turning around was up
// to 1.8x slower, and at one column no faster.
constexpr int64_t kNarrowColumns = 16;
// C^T is made in passes of this many rows of C, into a buffer on the stack.
constexpr int64_t kNarrowRowsPerPass = 256;

bool is_narrow(bool trans_a, bool trans_b, int64_t M, int64_t N) {
  return (trans_a || trans_b) && N > 1 && N < kNarrowColumns && M > N;
}

// C = alpha * op(A) * op(B) + beta * C through C^T, for a narrow product.
void sgemm_turned_around(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                         int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  float transposed[kNarrowColumns * kNarrowRowsPerPass];
  for (int64_t first = 0; first < M; first += kNarrowRowsPerPass) {
    const int64_t rows = std::min(kNarrowRowsPerPass, M - first);
    dnnl_sgemm_serial(trans_b ? 'N' : 'T', trans_a ? 'N' : 'T', N, rows, K, alpha, B, ldb,
                      A + (trans_a ? first : first * lda), lda, 0.0f, transposed, rows);
    for (int64_t i = 0; i < rows; ++i) {
      float* c = C + (first + i) * ldc;
      for (int64_t j = 0; j < N; ++j) c[j] = (beta == 0.0f ? 0.0f : beta * c[j]) + transposed[j * rows + i];
    }
  }
}

// out[j, i] = in[i, j] for a rows x cols `in` (rows ld_in apart) into out (rows
// ld_out apart).
void transpose_into(int64_t rows, int64_t cols, const float* in, int64_t ld_in, float* out, int64_t ld_out) {
  cblas_somatcopy(CblasRowMajor, CblasTrans, static_cast<blasint>(rows), static_cast<blasint>(cols), 1.0f, in,
                  static_cast<blasint>(ld_in), out, static_cast<blasint>(ld_out));
}

// Note [Copied transposed B]: oneDNN 2.6 runs x W^T (B transposed) 8-16% below
// its rate with neither operand transposed on the MLP's shapes (one Zen 5 core:
// 512x128x784 514 us against 475, 128x128x784 128 against 116), and a transposed
// copy of W costs about 0.1 ns per element (128 x 784: 10 us). So a product with
// kMinRowsForCopiedB rows or more multiplies a copy of W^T instead, where the
// saving is at least twice the copy; at 128 rows the two were equal. The MLP at
// batch 512, with the vCPUs near (bench_mlp, four alternating rounds): inference
// 628-646 us against 650-659, train step 1,384-1,406 against 1,403-1,433. The
// copy is kept per thread, so its size is bounded, and 64-byte aligned
// (scratch_floats): on a vector's 16-byte alignment the 512x256x784 product took
// 1,176 us against 1,121.
constexpr int64_t kMinRowsForCopiedB = 256;
constexpr int64_t kMaxCopiedB = int64_t(1) << 20;

bool copies_transposed_b(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t ldb) {
  return !trans_a && trans_b && M >= kMinRowsForCopiedB && N * K <= kMaxCopiedB &&
         std::max({N, K, ldb}) <= std::numeric_limits<blasint>::max();
}

// Room for n floats, 64-byte aligned, in a per-thread buffer that only grows:
// allocated per call (100-150 KB, about malloc's trim threshold), the batch-32
// forward took 113-117 us against 95-98, and resized down and up again between
// two layers' products, a vector value-initialised the difference every time.
float* scratch_floats(std::vector<float>& buffer, int64_t n) {
  constexpr size_t kAlignFloats = 64 / sizeof(float);
  const size_t needed = static_cast<size_t>(n) + kAlignFloats;
  if (buffer.size() < needed) buffer.resize(needed);
  float* p = buffer.data();
  return p + (kAlignFloats - reinterpret_cast<uintptr_t>(p) / sizeof(float) % kAlignFloats) % kAlignFloats;
}

// Columns [first, first + columns) of this thread's copy of op(B) = B^T (B is
// N x K, rows ldb apart), a K x N matrix: the block's columns only, but always
// with N columns between rows, so that every block of the product reads its part
// of B^T at the same leading dimension and oneDNN rounds it as it rounds the
// whole (at ld 512 and 1024 its bits differed). Returns the copy's first column.
const float* transposed_b_columns(int64_t first, int64_t columns, int64_t N, int64_t K, const float* B,
                                  int64_t ldb) {
  thread_local std::vector<float> buffer;
  float* copy = scratch_floats(buffer, N * K);
  transpose_into(columns, K, B + first * ldb, ldb, copy + first, N);
  return copy + first;
}

// How every block of one float product is computed, decided once for the whole
// product: decided per block, a product cut over two threads ran other kernels
// than on one (blocks of 128 rows skip the copy of B^T that 256 rows make) and
// its bits depended on the thread count.
struct SerialKernel {
  bool narrow = false;    // Note [Narrow products]
  bool copy_b = false;    // Note [Copied transposed B]
};

SerialKernel serial_kernel(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t ldb) {
  SerialKernel k;
  k.narrow = is_narrow(trans_a, trans_b, M, N);
  k.copy_b = !k.narrow && copies_transposed_b(trans_a, trans_b, M, N, K, ldb);
  return k;
}

// The block of rows [first_row, first_row + rows) and columns [first_column,
// first_column + columns) of an M x N x K float product (N and ldb whole), on the
// calling thread; A, B and C point at the whole matrices.
void sgemm_block(const SerialKernel& kernel, bool trans_a, bool trans_b, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                 int64_t first_row, int64_t rows, int64_t first_column, int64_t columns) {
  const float* a = A + (trans_a ? first_row : first_row * lda);
  const float* b = B + (trans_b ? first_column * ldb : first_column);
  float* c = C + first_row * ldc + first_column;
  if (kernel.narrow) return sgemm_turned_around(trans_a, trans_b, rows, columns, K, alpha, a, lda, b, ldb, beta, c, ldc);
  if (kernel.copy_b) {
    const float* copy = transposed_b_columns(first_column, columns, N, K, B, ldb);
    return dnnl_sgemm_serial('N', 'N', rows, columns, K, alpha, a, lda, copy, N, beta, c, ldc);
  }
  dnnl_sgemm_serial(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', rows, columns, K, alpha, a, lda, b, ldb, beta, c, ldc);
}

// A float32 product is split over threads only in blocks of at least this many
// multiply-adds (about 10 us of work for one core). Before Note [Chunk affinity],
// a split product's operands were read and written by whichever core came first,
// and blocks below 4M lost more to lines crossing between the cores than they
// gained; with it, the MLP step at batch 32 (6.4M-multiply-add GEMMs) went from
// 300-330 us unsplit to 240-265 us split (AVX-512 Zen 5 VM, interleaved runs).
constexpr int64_t kMinGemmChunkWork = int64_t(1) << 21;
// A matrix-vector product (one row or column of C) is bound by reading the
// matrix, not by its multiply-adds, and is worth sharing from smaller sizes:
// 1024 x 1024 floats times a vector took 49 us on one thread, libtorch's two 29.
constexpr int64_t kMinGemvChunkWork = int64_t(1) << 17;

int64_t min_chunk_work(int64_t M, int64_t N) { return M == 1 || N == 1 ? kMinGemvChunkWork : kMinGemmChunkWork; }

// How a float product is cut over the threads: into blocks of `grain` units of
// kBlockUnit columns (or rows) each.
struct BlockPlan {
  bool by_columns = false;
  int64_t extent = 0;  // the number of columns (or rows) cut
  int64_t units = 0;
  int64_t grain = 0;
};
constexpr int64_t kBlockUnit = 16;

// oneDNN 2.6 runs x W^T (B transposed) near its best rate from 128 columns of C
// up; narrower, at 53-85% of it (one Zen 4 core).
constexpr int64_t kWideTransposedBColumns = 128;
// Rows per thread from which a product with a narrow transposed B is cut by rows.
constexpr int64_t kMinRowsPerThread = 64;

// The cut of an M x N x K float product; nullopt when it runs as one block on the
// calling thread.
std::optional<BlockPlan> plan_blocks(int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b,
                                     bool b_rows_by_thread) {
  if (float_gemm_runs_whole(M, N, K) || core::num_threads() <= 1 || core::in_parallel_region()) return std::nullopt;
  const int64_t work = M * N * K;
  // Note [GEMM threads]: the product is cut into one block of whole columns (or
  // rows, when there are more rows than columns) per thread, multiples of the
  // kernels' vector width, and the blocks run single-threaded on the pool. Each
  // block is one dnnl_sgemm call that packs the whole of the shared operand, so
  // more blocks cost more packing: measured on 2 cores (AVX2), 1024³ ran at 98
  // GFLOP/s in 8 blocks and at 121-139 in 2, as fast as oneDNN's or OpenBLAS's own
  // two threads. The cut is at multiples of 16 floats, the AVX-512 vector width:
  // at multiples of 64 the 784 columns of the MLP's first weight gradient at batch
  // 512 split 448 / 336, and that 256x784x512 product took 541-588 us (min of 400)
  // against 504-518 us split 400 / 384.
  // A weight gradient (dY^T X: A transposed, the batch the inner dimension), or
  // any product whose inner dimension is the smallest, is cut by rows when there
  // are rows for every thread: each thread then writes one contiguous part of the
  // gradient, the part it will accumulate and update (Note [Chunk affinity] in
  // core/parallel.cpp; gemm_onto_rows returns the cut for those passes). The MLP's
  // weight gradients at batch 512 (256x784x512 and 128x256x512, once cut by
  // columns) cut by rows: train step 0.968-0.973 in alternating rounds (20-30),
  // batch 128 and the CNN step unchanged.
  // Otherwise a product whose B is stored transposed (x W^T, a linear layer's
  // forward) and was last written in blocks of its rows, one per thread (a weight
  // the optimizer step updated, Note [Chunk affinity]), is cut by columns, so
  // that each thread reads the block of W in its own cache: the MLP's train step at
  // batch 512 (512x256x784 and 512x128x256 forwards, once cut by rows) 0.914 in
  // alternating rounds. Inference, whose weights are in both caches, is cut by
  // rows when there are more rows, as before (the rows a thread writes are the
  // rows the next activation reads), unless B is transposed and its column blocks
  // would be at least kWideTransposedBColumns wide: oneDNN packs a transposed B
  // with a transposition, and a block of rows packs all of it, a block of columns
  // only its part. The MLP's first layer at inference, batch 512 (512x256x784):
  // 990 us cut by rows, 945 us by columns, the relu after it unchanged.
  const int64_t threads = core::num_threads();
  const bool rows_for_affinity = (K < std::min(M, N) || trans_a) && (M + kBlockUnit - 1) / kBlockUnit >= threads;
  BlockPlan plan;
  // A product with B transposed whose column blocks would be narrower than
  // kWideTransposedBColumns, and that has kMinRowsPerThread rows per thread, is
  // cut by rows even when B's rows are in thread blocks: each block then has all
  // of C's columns, in oneDNN's fast range, though every thread reads all of W.
  // The MLP's second layer forward (x W^T with W 128 x 256), with the vCPUs far
  // apart (450 ns), three alternating rounds: at batch 128 49-52 us cut by
  // columns, 43-48 by rows (alone, on a W no update wrote: 40.6 against 27.9);
  // at batch 512 145-147 against 107-117.
  const bool transposed_b = trans_b && !trans_a;
  const bool wide_transposed_b = transposed_b && N / threads >= kWideTransposedBColumns;
  const bool narrow_transposed_b_rows = transposed_b && !wide_transposed_b && M / threads >= kMinRowsPerThread;
  plan.by_columns = (N >= M || (b_rows_by_thread && N >= threads * kBlockUnit) || wide_transposed_b) &&
                    !rows_for_affinity && !narrow_transposed_b_rows;
  plan.extent = plan.by_columns ? N : M;
  plan.units = (plan.extent + kBlockUnit - 1) / kBlockUnit;
  const int64_t unit_work = work / plan.extent * kBlockUnit;
  plan.grain = std::max((min_chunk_work(M, N) + unit_work - 1) / unit_work, (plan.units + threads - 1) / threads);
  return plan;
}

// Calls block(first_row, rows, first_column, columns) on blocks of an M x N x K
// float product that together cover C, in parallel when it is large enough.
// Returns the number of blocks of rows (0: one block, or cut by columns).
template <class Block>
int64_t for_each_block(int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, bool b_rows_by_thread,
                       const Block& block) {
  const std::optional<BlockPlan> plan = plan_blocks(M, N, K, trans_a, trans_b, b_rows_by_thread);
  if (!plan) {
    block(0, M, 0, N);
    return 0;
  }
  core::parallel_for(plan->units, plan->grain, [&](int64_t b, int64_t e) {
    const int64_t first = b * kBlockUnit, count = std::min(plan->extent, e * kBlockUnit) - first;
    if (plan->by_columns) block(int64_t(0), M, first, count);
    else block(first, count, int64_t(0), N);
  });
  return plan->by_columns ? 0 : (plan->units + plan->grain - 1) / plan->grain;
}

// Note [Turned-around products]: oneDNN 2.6 runs x W^T (B transposed, a linear
// layer's forward) with 32 or 48 rows well below its rate for the same product
// turned around with neither operand transposed, C^T = W x^T from a contiguous
// copy of x^T; the copies both ways (OpenBLAS's somatcopy) cost less than the
// difference. One Zen 4 core, copies included: 32x256x784 132 -> 116 us,
// 32x128x256 23.4 -> 20.4, 48x512x512 309 -> 232. At 16, 24, 40 or 64 rows the
// turned product was up to 1.2x slower for some of the MLP's shapes, so only 32
// and 48 turn.
// - It is cut over the threads as any other product, from kMinGemmChunkWork, by
//   columns of C: rows of W, which the optimizer step left in the same blocks
//   (Note [Chunk affinity]). Cut from 2^19 multiply-adds, the MLP's 32x128x256
//   product took 9 us per half on two cores against 20 whole, but the optimizer
//   step then took 29-40 us against 22: it rewrites that weight on the thread
//   that wrote its gradient, and half its lines were in the other core's cache.
// - Each block makes its own copy of x^T. Made once by the caller and read by
//   the other thread, its lines crossed between the cores on every step, and in
//   this VM's phases where that is slow (zero_grad 25-45 us instead of 10) the
//   MLP's forward at batch 32 took 173 us against 137.

// The copies are kept per thread (sgemm_turned_onto_rows), so their size is
// bounded: at most 48 x 4096 floats each, beyond the shapes measured.
constexpr int64_t kMaxTurnedExtent = 4096;

bool turns_around(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldc, float beta,
                  const float* row) {
  // With beta other than 0 and 1 the addend would be rounded apart from oneDNN's
  // own beta * C; with C as the addend (no row) it is not worth a third copy.
  // somatcopy takes 32-bit leading dimensions.
  return !trans_a && trans_b && (M == 32 || M == 48) && N >= kNarrowColumns && N <= kMaxTurnedExtent &&
         K <= kMaxTurnedExtent && std::max(lda, ldc) <= std::numeric_limits<blasint>::max() &&
         (beta == 0.0f || (beta == 1.0f && row != nullptr));
}

// gemm_onto_rows for a product that turns_around (Note [Turned-around products]).
void sgemm_turned_onto_rows(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                            const float* B, int64_t ldb, float beta, const float* row, float* C, int64_t ldc) {
  auto run_columns = [&](int64_t first, int64_t columns) {
    thread_local std::vector<float> a_buffer, c_buffer;
    float* a_transposed = scratch_floats(a_buffer, M * K);
    float* c_transposed = scratch_floats(c_buffer, columns * M);
    transpose_into(M, K, A, lda, a_transposed, M);
    dnnl_sgemm_serial('N', 'N', columns, M, K, alpha, B + first * ldb, ldb, a_transposed, M, 0.0f, c_transposed, M);
    transpose_into(columns, M, c_transposed, M, C + first, ldc);
    if (beta == 0.0f) return;
    for (int64_t i = 0; i < M; ++i) {
      float* c = C + i * ldc + first;
      for (int64_t j = 0; j < columns; ++j) c[j] = row[first + j] + c[j];
    }
  };
  const int64_t threads = core::num_threads(), units = (N + kBlockUnit - 1) / kBlockUnit;
  if (threads <= 1 || core::in_parallel_region() || float_gemm_runs_whole(M, N, K)) return run_columns(0, N);
  const int64_t unit_work = M * K * kBlockUnit;
  const int64_t grain = std::max((kMinGemmChunkWork + unit_work - 1) / unit_work, (units + threads - 1) / threads);
  core::parallel_for(units, grain, [&](int64_t b, int64_t e) {
    const int64_t first = b * kBlockUnit;
    run_columns(first, std::min(N, e * kBlockUnit) - first);
  });
}

// Note [Both operands transposed]: oneDNN 2.6 runs op(A) op(B) with both
// operands transposed (mm(a.t(), b.t())) well below its rate with neither, so
// C^T = B A, neither transposed, is made into a scratch block and transposed into
// C, in blocks of C's rows over the threads. Two Zen 4 cores: 256^3 191 -> 149
// us, 512^3 1.62 -> 1.24 ms, 1024^3 12.7 -> 10.0 ms (neither transposed: 145 us,
// 1.21 and 9.77 ms; libtorch's both transposed: 183 us, 1.35 and 13.3 ms). One
// core: 512^3 2.80 -> 2.41 ms. Below float_gemm_runs_whole (128^3: 43 us against
// 37) the copies would take most of the difference.
bool turns_both_transposed(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t ldc, float beta,
                           const float* row) {
  return trans_a && trans_b && beta == 0.0f && row == nullptr && !float_gemm_runs_whole(M, N, K) &&
         std::max({M, N, ldc}) <= std::numeric_limits<blasint>::max();
}

// Rows of C a thread transposes at a time.
constexpr int64_t kTransposedRowsGrain = 64;

void sgemm_both_transposed(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                           const float* B, int64_t ldb, float* C, int64_t ldc) {
  const core::Block scratch = core::allocate_storage(static_cast<size_t>(N * M) * sizeof(float));
  struct Release {
    core::Block block;
    ~Release() { core::free_storage(block); }
  } release{scratch};
  float* c_transposed = static_cast<float*>(scratch.ptr);
  gemm_onto_rows(false, false, N, M, K, alpha, B, ldb, A, lda, 0.0f, nullptr, c_transposed, M);
  core::parallel_for(M, kTransposedRowsGrain, [&](int64_t first, int64_t last) {
    transpose_into(N, last - first, c_transposed + first, M, C + first * ldc, ldc);
  });
}

}  // namespace

std::optional<BlasMatrix> blas_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  // A stride along a dim of size 1 is never used to step, so any value works there.
  if ((col_stride == 1 || cols <= 1) && (rows <= 1 || row_stride >= std::max<int64_t>(1, cols)))
    return BlasMatrix{false, rows <= 1 ? std::max<int64_t>(1, cols) : row_stride};
  if ((row_stride == 1 || rows <= 1) && (cols <= 1 || col_stride >= std::max<int64_t>(1, rows)))
    return BlasMatrix{true, cols <= 1 ? std::max<int64_t>(1, rows) : col_stride};
  return std::nullopt;
}

bool float_gemm_runs_whole(int64_t M, int64_t N, int64_t K) { return M * N * K < 2 * min_chunk_work(M, N); }

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_onto_rows(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, nullptr, C, ldc);
}

int64_t gemm_onto_rows(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                       int64_t lda, const float* B, int64_t ldb, float beta, const float* row, float* C, int64_t ldc,
                       bool b_rows_by_thread) {
  if (M == 0 || N == 0) return 0;
  auto set_rows = [&](int64_t first_row, int64_t rows, int64_t first_column, int64_t columns) {
    if (row == nullptr) return;
    for (int64_t i = first_row; i < first_row + rows; ++i)
      std::copy(row + first_column, row + first_column + columns, C + i * ldc + first_column);
  };
  if (K == 0 || alpha == 0.0f) {
    set_rows(0, M, 0, N);
    scale_rows(M, N, beta, C, ldc);
    return 0;
  }
  if (turns_both_transposed(trans_a, trans_b, M, N, K, ldc, beta, row)) {
    sgemm_both_transposed(M, N, K, alpha, A, lda, B, ldb, C, ldc);
    return 0;
  }
  if (turns_around(trans_a, trans_b, M, N, K, lda, ldc, beta, row)) {
    sgemm_turned_onto_rows(M, N, K, alpha, A, lda, B, ldb, beta, row, C, ldc);
    return 0;
  }
  // Each thread writes the rows of its own block just before its product reads
  // them back, while they are in its cache.
  const SerialKernel kernel = serial_kernel(trans_a, trans_b, M, N, K, ldb);
  auto run_block = [&](int64_t first_row, int64_t rows, int64_t first_column, int64_t columns) {
    set_rows(first_row, rows, first_column, columns);
    sgemm_block(kernel, trans_a, trans_b, N, K, alpha, A, lda, B, ldb, beta, C, ldc, first_row, rows, first_column,
                columns);
  };
  return for_each_block(M, N, K, trans_a, trans_b, trans_b && b_rows_by_thread, run_block);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
          const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0) return scale_rows(M, N, beta, C, ldc);
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
              static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t alpha, const int64_t* A, int64_t lda,
          const int64_t* B, int64_t ldb, int64_t beta, int64_t* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  scale_rows(M, N, beta, C, ldc);
  if (K == 0 || alpha == 0) return;
  const int64_t a_row = trans_a ? 1 : lda, a_col = trans_a ? lda : 1;
  const int64_t b_row = trans_b ? 1 : ldb, b_col = trans_b ? ldb : 1;
  for (int64_t i = 0; i < M; ++i) {
    int64_t* c = C + i * ldc;
    for (int64_t p = 0; p < K; ++p) {
      const int64_t a = wrap_mul(alpha, A[i * a_row + p * a_col]);
      const int64_t* b = B + p * b_row;
      for (int64_t j = 0; j < N; ++j) c[j] = wrap_add(c[j], wrap_mul(a, b[j * b_col]));
    }
  }
}

namespace {
template <class T>
T dot_in_order(int64_t n, const T* x, int64_t incx, const T* y, int64_t incy) {
  T sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_integral_v<T>) sum = wrap_add(sum, wrap_mul(x[i * incx], y[i * incy]));
    else sum += x[i * incx] * y[i * incy];
  }
  return sum;
}

// BLAS takes 32-bit counts and increments (0 included: an expanded vector).
bool blas_dot_fits(int64_t n, int64_t incx, int64_t incy) {
  constexpr int64_t kMax = std::numeric_limits<blasint>::max();
  return n <= kMax && incx <= kMax && incy <= kMax;
}
}  // namespace

// dnnl_sgemm as a 1 x 1 x n product took 2.3 us for n = 1024, cblas_sdot 0.06.
float dot(int64_t n, const float* x, int64_t incx, const float* y, int64_t incy) {
  if (n == 1) incx = incy = 1;  // as libtorch's dot_impl
  if (!blas_dot_fits(n, incx, incy)) return dot_in_order(n, x, incx, y, incy);
  return cblas_sdot(static_cast<blasint>(n), x, static_cast<blasint>(incx), y, static_cast<blasint>(incy));
}

double dot(int64_t n, const double* x, int64_t incx, const double* y, int64_t incy) {
  if (n == 1) incx = incy = 1;
  if (!blas_dot_fits(n, incx, incy)) return dot_in_order(n, x, incx, y, incy);
  return cblas_ddot(static_cast<blasint>(n), x, static_cast<blasint>(incx), y, static_cast<blasint>(incy));
}

int64_t dot(int64_t n, const int64_t* x, int64_t incx, const int64_t* y, int64_t incy) {
  return dot_in_order(n, x, incx, y, incy);
}

template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c) {
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta, C + b * stride_c,
           ldc);
  };
  const int64_t work = M * N * std::max<int64_t>(K, 1);
  if (!split_batch<T>(work)) return run(0, batch);
  core::parallel_for(batch, std::max<int64_t>(1, kMinWorkPerThread / work), run);
}

template void gemm_batched<float>(int64_t, bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                  int64_t, const float*, int64_t, int64_t, float, float*, int64_t, int64_t);
template void gemm_batched<double>(int64_t, bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                   int64_t, const double*, int64_t, int64_t, double, double*, int64_t, int64_t);
template void gemm_batched<int64_t>(int64_t, bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t,
                                    int64_t, const int64_t*, int64_t, int64_t, int64_t, int64_t*, int64_t, int64_t);

}  // namespace tg::kernels
