#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/parallel.h"
#include "core/shape.h"
#include "ops/ops_internal.h"

namespace tg::kernels {

ReducedSpan reduced_span(const Tensor& x, uint64_t mask) {
  // A dim of size 1 may count as reduced or not, whichever makes one block.
  const int64_t nd = x.dim();
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < nd; ++d)
    if ((mask >> d & 1) && x.size(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  if (first < 0)  // every reduced dim has size 1 (or none is reduced)
    for (int64_t d = 0; d < nd; ++d)
      if (mask >> d & 1) first = last = d;
  bool block = first >= 0;
  for (int64_t d = first; block && d <= last; ++d) block = (mask >> d & 1) || x.size(d) == 1;
  return {first, last, block};
}

ReduceLayout reduced_shapes(const Tensor& x, uint64_t mask) {
  ReduceLayout L;
  L.kept_shape = x.sizes();
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (mask >> d & 1) L.kept_shape[d] = 1;
    else L.out_shape.push_back(x.size(d));
  }
  return L;
}

namespace {
// Note [Reducing in memory order]: a dense x that is not contiguous (x.t(), a
// permutation) is reduced as the contiguous tensor its memory is: its dims are
// put in the order of decreasing strides, the mask with them. Copied to its
// logical order first, x.t().sum() of 1024 x 1024 floats took 442 us, x.t().sum(0)
// 444 (libtorch 44 and 47: it too reads memory in order). Only when the kept dims
// keep their logical order, so that the result needs no reordering; the sum's
// order is then memory order, as libtorch's.
void to_memory_order(Tensor& x, uint64_t& mask) {
  if (x.is_contiguous() || !ops::is_non_overlapping_and_dense(x)) return;
  const int64_t nd = x.dim();
  DimVector order(nd, 0);
  for (int64_t d = 0; d < nd; ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return x.stride(a) > x.stride(b); });
  int64_t previous_kept = -1;
  for (int64_t d : order) {
    if ((mask >> d & 1) || x.size(d) == 1) continue;
    if (d < previous_kept) return;
    previous_kept = d;
  }
  DimVector sizes, strides;
  uint64_t permuted = 0;
  for (int64_t k = 0; k < nd; ++k) {
    sizes.push_back(x.size(order[k]));
    strides.push_back(x.stride(order[k]));
    permuted |= (mask >> order[k] & 1) << k;
  }
  x = ops::alias(x, sizes, strides, x.storage_offset());
  mask = permuted;
}
}  // namespace

ReduceLayout plan_reduction(const Tensor& input, uint64_t mask) {
  ReduceLayout L = reduced_shapes(input, mask);
  Tensor x = input;
  if (x.dim() == 0) {
    L.input = x;
    return L;
  }
  to_memory_order(x, mask);
  const int64_t nd = x.dim();
  const auto [first, last, block] = reduced_span(x, mask);
  if (first < 0) {  // nothing reduced
    L.input = ops::contiguous_raw(x);
    L.outer = x.numel();
    return L;
  }
  if (block) {
    L.input = ops::contiguous_raw(x);
    for (int64_t d = 0; d < first; ++d) L.outer *= x.size(d);
    for (int64_t d = first; d <= last; ++d) L.reduce *= x.size(d);
    for (int64_t d = last + 1; d < nd; ++d) L.inner *= x.size(d);
    return L;
  }
  // Bring the reduced dims to the end, then copy.
  DimVector perm;
  for (int64_t d = 0; d < nd; ++d)
    if (!(mask >> d & 1)) perm.push_back(d);
  for (int64_t d = 0; d < nd; ++d)
    if (mask >> d & 1) perm.push_back(d);
  DimVector sizes, strides;
  for (int64_t d : perm) {
    sizes.push_back(x.size(d));
    strides.push_back(x.stride(d));
  }
  Tensor permuted = ops::alias(x, sizes, strides, x.storage_offset());
  L.input = ops::contiguous_raw(permuted);
  for (int64_t d = 0; d < nd; ++d) {
    if (mask >> d & 1) L.reduce *= x.size(d);
    else L.outer *= x.size(d);
  }
  return L;
}

namespace {

// Elements per block and accumulator lanes for contiguous sums: the block size
// fixes the summation tree, so it must never depend on the thread count.
constexpr int64_t kBlock = 4096;
constexpr int kLanes = 16;
// Rows summed sequentially before partials are combined pairwise (strided sums).
constexpr int64_t kRowChunk = 128;

// Lane l sums elements l, l + kLanes, ...; the lanes are then added pairwise
// (l + 8, l + 4, ...). The tail is added as a zero-padded vector, so that every
// loop has a fixed width and the lanes stay in a vector register (adding +0
// changes no lane: a sum that starts at +0 is never -0). Indexed by the tail's
// length, the lanes lived in memory, and the row sums of 16384 x 64 floats took
// 157 us against libtorch's 90.
// block_sums sums Rows rows (`stride` apart) side by side, each exactly as
// block_sum: a row's lanes are one chain of dependent additions, and a short row
// waited on that chain. Forced inline, so that the accumulators stay in registers
// through the tail (a call kept them in memory). One Zen 4 core, the row sums of
// 4096 x 196 floats (a convolution's bias gradient): 70 us one row at a time, 57
// four rows at a time in a call, 40 inline (libtorch 42); 16384 x 64: 81, 54.
// Longer rows, and rows of doubles (two vectors of lanes each), are bound by
// reading memory rather than by the chain: 2048 x 784 floats and 4096 x 196
// doubles took 4-10% longer four rows at a time.
// The accumulators are 64-byte aligned for the reason given at column_tile.
constexpr int64_t kShortRow = 256;
template <int Rows, class T>
[[gnu::always_inline]] inline void block_sums(const T* p, int64_t stride, int64_t n, T* out) {
  static_assert(kLanes == 16);
  alignas(64) T acc[Rows][kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int r = 0; r < Rows; ++r) {
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) acc[r][l] += p[r * stride + i + l];
    }
  for (int r = 0; r < Rows; ++r) {
    alignas(64) T tail[kLanes];
    const int64_t left = n - i;
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) tail[l] = l < left ? p[r * stride + i + l] : T(0);
    T* a = acc[r];
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) a[l] += tail[l];
#pragma omp simd
    for (int l = 0; l < 8; ++l) a[l] += a[l + 8];
#pragma omp simd
    for (int l = 0; l < 4; ++l) a[l] += a[l + 4];
#pragma omp simd
    for (int l = 0; l < 2; ++l) a[l] += a[l + 2];
    out[r] = a[0] + a[1];
  }
}

// Not forced inline: inlined into the threads' loops, x.sum() of 512 x 1024 floats
// took 38 us on two threads against 13.
template <class T>
T block_sum(const T* p, int64_t n) {
  T total;
  block_sums<1>(p, 0, n, &total);
  return total;
}

// Combines partials pairwise in place; returns the total.
template <class T>
T pairwise_combine(T* partial, int64_t n) {
  if (n == 0) return T(0);
  for (int64_t width = 1; width < n; width *= 2)
    for (int64_t i = 0; i + width < n; i += 2 * width) partial[i] += partial[i + width];
  return partial[0];
}

template <class T>
T contiguous_sum(const T* p, int64_t n, bool parallel) {
  if (n <= kBlock) return block_sum(p, n);
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  std::vector<T> partial(nblocks);
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) partial[k] = block_sum(p + k * kBlock, std::min(kBlock, n - k * kBlock));
  };
  if (parallel) core::parallel_for(nblocks, 8, run);
  else run(0, nblocks);
  return pairwise_combine(partial.data(), nblocks);
}

// Calls tile(first, width) over columns [i0, i1) in tiles of 64, then 32, 16, 8
// and 1 columns, width a std::integral_constant: a reduction over a middle dim
// with a fixed number of columns per pass keeps its accumulators in registers.
template <class Tile>
void for_each_column_tile(int64_t i0, int64_t i1, const Tile& tile) {
  int64_t i = i0;
  for (; i + 64 <= i1; i += 64) tile(i, std::integral_constant<int, 64>{});
  if (i + 32 <= i1) tile(i, std::integral_constant<int, 32>{}), i += 32;
  if (i + 16 <= i1) tile(i, std::integral_constant<int, 16>{}), i += 16;
  if (i + 8 <= i1) tile(i, std::integral_constant<int, 8>{}), i += 8;
  for (; i < i1; ++i) tile(i, std::integral_constant<int, 1>{});
}

// acc[0, W) = the sums of rows [r0, r1) of the W columns at `in` (rows `inner`
// apart), each summed row after row from zero. W is fixed, so that the
// accumulators stay in vector registers: with a loop over a run-time width they
// were loaded and stored for every row, and a [64, 256, 8] tensor's sum(1) took
// 60 us against libtorch's 8.
// The accumulators are declared 64-byte aligned, as the vectoriser would align
// them anyway: when it raises the alignment itself, GCC 12's AddressSanitizer
// does not honour it in a frame moved to the fake stack
// (detect_stack_use_after_return), and the aligned store faults.
template <int W, class T>
void column_tile(const T* in, int64_t inner, int64_t r0, int64_t r1, T* acc) {
  alignas(64) T a[W] = {};
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = in + r * inner;
#pragma omp simd
    for (int k = 0; k < W; ++k) a[k] += row[k];
  }
  std::copy(a, a + W, acc);
}

// acc[0, w) = the sums of rows [r0, r1) of columns [i0, i0 + w).
template <class T>
void column_sums(const T* in, int64_t inner, int64_t r0, int64_t r1, int64_t i0, int64_t w, T* acc) {
  for_each_column_tile(0, w, [&](int64_t i, auto width) {
    column_tile<decltype(width)::value>(in + i0 + i, inner, r0, r1, acc + i);
  });
}

// Combines the nchunks partial rows of w elements pairwise into the first.
template <class T>
void combine_rows(T* partial, int64_t nchunks, int64_t w) {
  for (int64_t width = 1; width < nchunks; width *= 2)
    for (int64_t c = 0; c + width < nchunks; c += 2 * width) {
      T* a = partial + c * w;
      const T* b = partial + (c + width) * w;
      for (int64_t i = 0; i < w; ++i) a[i] += b[i];
    }
}

// Note [Strided sums]: out[i] = sum_r in[r * inner + i], summed sequentially
// within chunks of kRowChunk rows, the chunks' partial rows then combined
// pairwise: the order is fixed, whatever the threads. With chunks enough for the
// threads, they share the chunks, each reading whole rows in order. Otherwise they
// share the columns. Cut by columns into 8 blocks of 128, x.sum(0) of 1024 x 1024
// floats took 108-140 us on two threads (each block walks every row, a page apart)
// against 49-64 on one; by chunks of rows, 29-61, as fast as x.sum(1) in the same
// runs.
template <class T>
void strided_sum(const T* in, T* out, int64_t reduce, int64_t inner) {
  if (inner == 0) return;
  const int64_t nchunks = (reduce + kRowChunk - 1) / kRowChunk;
  if (nchunks >= core::num_threads()) {
    std::vector<T> partial(static_cast<size_t>(nchunks * inner));
    const int64_t grain = std::max<int64_t>(1, core::kElementwiseGrain / (kRowChunk * inner));
    core::parallel_for(nchunks, grain, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        column_sums(in, inner, c * kRowChunk, std::min(reduce, (c + 1) * kRowChunk), 0, inner,
                    partial.data() + c * inner);
    });
    combine_rows(partial.data(), nchunks, inner);
    std::memcpy(out, partial.data(), static_cast<size_t>(inner) * sizeof(T));
    return;
  }
  core::parallel_for(inner, std::max<int64_t>(16, core::kElementwiseGrain / reduce), [&](int64_t i0, int64_t i1) {
    const int64_t w = i1 - i0;
    std::vector<T> block(static_cast<size_t>(nchunks * w));
    for (int64_t c = 0; c < nchunks; ++c)
      column_sums(in, inner, c * kRowChunk, std::min(reduce, (c + 1) * kRowChunk), i0, w, block.data() + c * w);
    combine_rows(block.data(), nchunks, w);
    std::memcpy(out + i0, block.data(), static_cast<size_t>(w) * sizeof(T));
  });
}

// strided_sum of one slice on the calling thread, in the same order, without a
// buffer of partial rows: each span of columns merges its chunks' partials as
// they come, as a binary counter does (two partials of equal chunk counts at the
// top of the stack are added), then the rest from the top down, which is the
// pairwise tree of combine_rows. A [64, 256, 8] tensor's sum(1), one slice
// after another with a buffer each, took 60 us against libtorch's 8.
template <class T>
void strided_sum_serial(const T* in, T* out, int64_t reduce, int64_t inner) {
  const int64_t nchunks = (reduce + kRowChunk - 1) / kRowChunk;
  if (nchunks == 1) return column_sums(in, inner, 0, reduce, 0, inner, out);
  constexpr int64_t kSpan = 64, kMaxDepth = 64;
  T stack[kMaxDepth][kSpan];
  int64_t chunks_in[kMaxDepth];
  for (int64_t i0 = 0; i0 < inner; i0 += kSpan) {
    const int64_t w = std::min(kSpan, inner - i0);
    int depth = 0;
    auto merge_top = [&] {
      --depth;
      for (int64_t i = 0; i < w; ++i) stack[depth - 1][i] += stack[depth][i];
      chunks_in[depth - 1] += chunks_in[depth];
    };
    for (int64_t c = 0; c < nchunks; ++c) {
      column_sums(in, inner, c * kRowChunk, std::min(reduce, (c + 1) * kRowChunk), i0, w, stack[depth]);
      chunks_in[depth++] = 1;
      while (depth >= 2 && chunks_in[depth - 1] == chunks_in[depth - 2]) merge_top();
    }
    while (depth >= 2) merge_top();
    std::copy(stack[0], stack[0] + w, out + i0);
  }
}

}  // namespace

template <class T>
void sum(const T* in, T* out, int64_t outer, int64_t reduce, int64_t inner) {
  if (reduce == 0) {
    std::fill(out, out + outer * inner, T(0));
    return;
  }
  if (inner == 1) {
    if (outer == 1) {
      out[0] = contiguous_sum(in, reduce, true);
      return;
    }
    core::parallel_for(outer, std::max<int64_t>(1, core::kElementwiseGrain / reduce), [&](int64_t b, int64_t e) {
      // Rows of one block call block_sum directly: through contiguous_sum, the
      // row sums of 16384 x 64 floats took 131-159 us, directly 81.
      if (reduce <= kBlock) {
        int64_t o = b;
        if constexpr (std::is_same_v<T, float>)
          if (reduce <= kShortRow)
            for (; o + 4 <= e; o += 4) block_sums<4>(in + o * reduce, reduce, reduce, out + o);
        for (; o < e; ++o) out[o] = block_sum(in + o * reduce, reduce);
      } else
        for (int64_t o = b; o < e; ++o) out[o] = contiguous_sum(in + o * reduce, reduce, false);
    });
    return;
  }
  if (outer == 0 || inner == 0) return;
  // Slices enough for the threads (or too small to share) are summed one per
  // thread; a few large ones each by all the threads.
  const int64_t slice = reduce * inner;
  if (outer >= core::num_threads() || slice <= core::kElementwiseGrain) {
    core::parallel_for(outer, std::max<int64_t>(1, core::kElementwiseGrain / slice), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) strided_sum_serial(in + o * slice, out + o * inner, reduce, inner);
    });
    return;
  }
  for (int64_t o = 0; o < outer; ++o) strided_sum(in + o * slice, out + o * inner, reduce, inner);
}

// Integer sums wrap around as tensorgrad's integer arithmetic and libtorch's do:
// summed as uint64 (the same bits), where overflow is defined.
template <>
void sum<int64_t>(const int64_t* in, int64_t* out, int64_t outer, int64_t reduce, int64_t inner) {
  sum<uint64_t>(reinterpret_cast<const uint64_t*>(in), reinterpret_cast<uint64_t*>(out), outer, reduce, inner);
}

namespace {

// Note [Vectorised extrema]: an extremum is the first extreme element, or the
// first NaN when there is one (NaN propagates, as in libtorch), with its index.
// Scanned element by element with a branch each, max() of 1M floats took 1.1 ms
// against libtorch's 0.1. A contiguous row is now read in two passes:
//   1. the extreme value and whether there is a NaN, in kLanes vector lanes;
//   2. only when the index is wanted, or the value's bits are in doubt (a NaN,
//      whose payload is the first NaN's, or a zero, whose sign is the first
//      extreme zero's), the first element equal to it, scanning from the start.
// The result is the sequential scan's, bit for bit.
template <bool Max, class T>
inline bool more_extreme(T candidate, T best) {
  return Max ? candidate > best : candidate < best;
}

template <bool Max, class T>
inline bool replaces(T candidate, T best) {
  if constexpr (std::is_floating_point_v<T>)
    return more_extreme<Max>(candidate, best) | ((candidate != candidate) & (best == best));
  else
    return more_extreme<Max>(candidate, best);
}

template <class T>
struct ExtremeScan {
  T value;   // the extreme of the non-NaN elements seen (meaningless if all are NaN)
  bool nan;  // whether a NaN was seen
};

// Pass 1 over p[0, n), n >= 1.
template <bool Max, class T>
ExtremeScan<T> scan_extreme(const T* p, int64_t n) {
  if (n < kLanes) {
    ExtremeScan<T> scan{p[0], p[0] != p[0]};
    for (int64_t i = 1; i < n; ++i) {
      scan.value = more_extreme<Max>(p[i], scan.value) || scan.value != scan.value ? p[i] : scan.value;
      scan.nan |= p[i] != p[i];
    }
    return scan;
  }
  using Flag = std::conditional_t<sizeof(T) == 8, uint64_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint8_t>>;
  T lane[kLanes];
  Flag nan[kLanes] = {};
  int64_t i = n - n / kLanes * kLanes;
  // The first lanes start from the first kLanes elements; a row that is not a
  // multiple of kLanes long reads its first elements twice, which is harmless.
  for (int l = 0; l < kLanes; ++l) lane[l] = p[l];
  for (int64_t k = 0; k < i; ++k) nan[0] |= p[k] != p[k];
  for (; i < n; i += kLanes)
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      const T v = p[i + l];
      lane[l] = more_extreme<Max>(v, lane[l]) ? v : lane[l];
      nan[l] |= Flag(v != v);
    }
  ExtremeScan<T> scan{lane[0], false};
  for (int l = 0; l < kLanes; ++l) {
    // A lane that started at a NaN stays there; the NaN was flagged.
    scan.value = more_extreme<Max>(lane[l], scan.value) || scan.value != scan.value ? lane[l] : scan.value;
    scan.nan |= nan[l] != 0 || lane[l] != lane[l];
  }
  return scan;
}

// Pass 2: the index of the first element for which match(element) holds, kLanes
// elements tested at a time.
template <class T, class Match>
int64_t first_match(const T* p, int64_t n, const Match& match) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    int hits = 0;
#pragma omp simd reduction(| : hits)
    for (int l = 0; l < kLanes; ++l) hits |= int(match(p[i + l]));
    if (hits) break;
  }
  for (; i < n; ++i)
    if (match(p[i])) return i;
  return n - 1;  // unreachable: the value matched is one of p's elements
}

// The extremum of p[0, n) (n >= 1) and its index when want_index.
template <bool Max, class T>
std::pair<T, int64_t> settle(const T* p, int64_t n, ExtremeScan<T> scan, bool want_index) {
  bool exact = !want_index;
  if constexpr (std::is_floating_point_v<T>) exact = exact && !scan.nan && scan.value != T(0);
  if (exact) return {scan.value, 0};
  const T value = scan.value;
  const int64_t index = scan.nan ? first_match(p, n, [](T v) { return v != v; })
                                 : first_match(p, n, [value](T v) { return v == value; });
  return {p[index], index};
}

template <bool Max, class T>
std::pair<T, int64_t> row_extremum(const T* p, int64_t n, bool want_index) {
  return settle<Max>(p, n, scan_extreme<Max>(p, n), want_index);
}

// One long row: pass 1 in blocks over the threads.
template <bool Max, class T>
std::pair<T, int64_t> long_row_extremum(const T* p, int64_t n, bool want_index) {
  constexpr int64_t kExtremumBlock = 4 * kBlock;
  const int64_t nblocks = (n + kExtremumBlock - 1) / kExtremumBlock;
  std::vector<ExtremeScan<T>> partial(static_cast<size_t>(nblocks));
  const int64_t grain = std::max<int64_t>(1, core::kElementwiseGrain / kExtremumBlock);
  core::parallel_for(nblocks, grain, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      partial[k] = scan_extreme<Max>(p + k * kExtremumBlock, std::min(kExtremumBlock, n - k * kExtremumBlock));
  });
  ExtremeScan<T> scan = partial[0];
  for (const ExtremeScan<T>& block : partial) {
    scan.value = more_extreme<Max>(block.value, scan.value) || scan.value != scan.value ? block.value : scan.value;
    scan.nan |= block.nan;
  }
  return settle<Max>(p, n, scan, want_index);
}

// out[0, W) (and indices[0, W)) for the W columns at `in` of a [reduce, inner]
// slab: the rows are scanned in order, so each column keeps its first extreme
// value. W is fixed, so that the running extremes stay in vector registers, as
// in column_tile: with a loop over a run-time width, a [64, 256, 64] tensor's
// amax(1) took 118 us against libtorch's 67. Aligned as column_tile's are.
template <bool Max, bool kIndices, int W, class T>
void extremum_tile(const T* in, int64_t reduce, int64_t inner, T* out, int64_t* indices) {
  alignas(64) T best[W];
  alignas(64) int64_t at[W] = {};
  std::copy(in, in + W, best);
  for (int64_t r = 1; r < reduce; ++r) {
    const T* row = in + r * inner;
#pragma omp simd
    for (int k = 0; k < W; ++k) {
      const bool take = replaces<Max>(row[k], best[k]);
      best[k] = take ? row[k] : best[k];
      if constexpr (kIndices) at[k] = take ? r : at[k];
    }
  }
  std::copy(best, best + W, out);
  if constexpr (kIndices) std::copy(at, at + W, indices);
}

// Columns [i0, i1) of a [reduce, inner] slab.
template <bool Max, bool kIndices, class T>
void strided_extremum(const T* in, int64_t reduce, int64_t inner, int64_t i0, int64_t i1, T* out,
                      int64_t* indices) {
  for_each_column_tile(i0, i1, [&](int64_t i, auto width) {
    extremum_tile<Max, kIndices, decltype(width)::value>(in + i, reduce, inner, out + i,
                                                         kIndices ? indices + i : nullptr);
  });
}

}  // namespace

template <class T, bool Max>
void extremum(const T* in, T* out, int64_t* indices, int64_t outer, int64_t reduce, int64_t inner) {
  if (inner == 1) {
    if (outer == 1) {
      const auto [value, index] = long_row_extremum<Max>(in, reduce, indices != nullptr);
      out[0] = value;
      if (indices) indices[0] = index;
      return;
    }
    core::parallel_for(outer, std::max<int64_t>(1, core::kElementwiseGrain / reduce), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const auto [value, index] = row_extremum<Max>(in + o * reduce, reduce, indices != nullptr);
        out[o] = value;
        if (indices) indices[o] = index;
      }
    });
    return;
  }
  // Columns in chunks of kInnerChunk, each chunk's rows read in order.
  constexpr int64_t kInnerChunk = 256;
  const int64_t chunks = (inner + kInnerChunk - 1) / kInnerChunk;
  core::parallel_for(outer * chunks, std::max<int64_t>(1, core::kElementwiseGrain / (kInnerChunk * reduce)),
                     [&](int64_t b, int64_t e) {
                       for (int64_t k = b; k < e; ++k) {
                         const int64_t o = k / chunks, i0 = k % chunks * kInnerChunk;
                         const T* slab = in + o * reduce * inner;
                         const int64_t i1 = std::min(inner, i0 + kInnerChunk);
                         if (indices)
                           strided_extremum<Max, true>(slab, reduce, inner, i0, i1, out + o * inner,
                                                       indices + o * inner);
                         else
                           strided_extremum<Max, false>(slab, reduce, inner, i0, i1, out + o * inner, nullptr);
                       }
                     });
}

// Bools as bytes (Note [Vectorised extrema]; GCC does not vectorise bool loads).
template <>
void extremum<bool, true>(const bool* in, bool* out, int64_t* indices, int64_t outer, int64_t reduce, int64_t inner) {
  extremum<uint8_t, true>(reinterpret_cast<const uint8_t*>(in), reinterpret_cast<uint8_t*>(out), indices, outer,
                          reduce, inner);
}
template <>
void extremum<bool, false>(const bool* in, bool* out, int64_t* indices, int64_t outer, int64_t reduce, int64_t inner) {
  extremum<uint8_t, false>(reinterpret_cast<const uint8_t*>(in), reinterpret_cast<uint8_t*>(out), indices, outer,
                           reduce, inner);
}

// (sum<int64_t> is the explicit specialisation above.)
template void sum<float>(const float*, float*, int64_t, int64_t, int64_t);
template void sum<double>(const double*, double*, int64_t, int64_t, int64_t);
#define TG_INSTANTIATE(T)                                                             \
  template void extremum<T, true>(const T*, T*, int64_t*, int64_t, int64_t, int64_t); \
  template void extremum<T, false>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
TG_INSTANTIATE(int64_t)
#undef TG_INSTANTIATE

}  // namespace tg::kernels
