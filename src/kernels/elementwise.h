#pragma once
// The elementwise loop: an output and inputs already of their loop types, inputs
// broadcast to the output's shape. Dimensions are merged where every operand is
// contiguous across them, so most calls run a single flat loop that the compiler
// vectorises; large ones are split over threads. The functor is inlined: no
// virtual or std::function call per element.
#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/parallel.h"
#include "tensorgrad/tensor.h"

namespace tg::kernels {

struct LoopShape {
  static constexpr int kMaxDims = 64;
  int ndim = 0;
  int64_t sizes[kMaxDims];
};

namespace detail {

// Strides (in elements) of `t` broadcast to `shape` (0 along broadcast dims).
void broadcast_strides(const Tensor& t, IntArrayRef shape, int64_t* out);
// Reorders the dims so that the output's (operand 0's) strides decrease: a loop
// over an output laid out in another dim order (Note [Elementwise output layout]
// in ops/elementwise_layout.cpp, an in-place op on x.t()) then walks its memory in
// order, and coalesce can merge the dims its inputs share that order in.
void order_by_output_strides(int ndim, int64_t* sizes, int64_t* const* strides, int nops);
// Merges dims where all operands' strides allow it; drops size-1 dims. Shape and
// strides are stored innermost-last; returns the new number of dims.
int coalesce(int ndim, int64_t* sizes, int64_t* const* strides, int nops);

// Bools are loaded and stored as bytes: GCC 12 does not vectorise a loop that
// loads or stores bools ("no vectype"); `~mask` on 1M elements took 0.29 ms
// element by element, 0.02 ms as bytes.
template <class T>
using Loaded = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

template <class Out, class... In, class Op, size_t... I>
inline void run_inner(char* const* ptrs, const int64_t* st, int64_t n, const Op& op, std::index_sequence<I...>) {
  Loaded<Out>* __restrict o = reinterpret_cast<Loaded<Out>*>(ptrs[0]);
  std::tuple<const Loaded<In>*...> in{reinterpret_cast<const Loaded<In>*>(ptrs[I + 1])...};
  if (st[0] == 1 && ((st[I + 1] == 1) && ...)) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(op(static_cast<In>(std::get<I>(in)[i])...));
    return;
  }
  if constexpr (sizeof...(In) == 2) {
    using First = std::tuple_element_t<0, std::tuple<In...>>;
    using Second = std::tuple_element_t<1, std::tuple<In...>>;
    // One operand broadcast along the inner dim (tensor op scalar).
    if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
      const auto b = static_cast<Second>(*std::get<1>(in));
      const auto* a = std::get<0>(in);
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(op(static_cast<First>(a[i]), b));
      return;
    }
    if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const auto a = static_cast<First>(*std::get<0>(in));
      const auto* b = std::get<1>(in);
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(op(a, static_cast<Second>(b[i])));
      return;
    }
  }
  if constexpr (sizeof...(In) >= 3) {
    // Inputs broadcast along the loop (a loss's 0-dim weight, or the gradient
    // of its mean) are read from blocks of copies, so that the loop is the
    // contiguous one, which vectorises: the strided loop below took the
    // backward of mse_loss on 512K floats 2.6x as long as libtorch's.
    if (st[0] == 1 && ((st[I + 1] == 0 || st[I + 1] == 1) && ...)) {
      constexpr int64_t kCopies = 256;
      std::tuple<std::array<Loaded<In>, kCopies>...> copies;
      ((st[I + 1] == 0 ? std::get<I>(copies).fill(*std::get<I>(in)) : void()), ...);
      for (int64_t first = 0; first < n; first += kCopies) {
        const int64_t count = std::min(kCopies, n - first);
        std::tuple<const Loaded<In>*...> block{
            (st[I + 1] == 0 ? std::get<I>(copies).data() : std::get<I>(in) + first)...};
        Loaded<Out>* __restrict to = o + first;
        for (int64_t i = 0; i < count; ++i) to[i] = static_cast<Out>(op(static_cast<In>(std::get<I>(block)[i])...));
      }
      return;
    }
  }
  if constexpr (sizeof...(In) == 1) {
    using First = std::tuple_element_t<0, std::tuple<In...>>;
    if (st[0] == 1 && st[1] == 0) {
      const Out v = static_cast<Out>(op(static_cast<First>(*std::get<0>(in))));
      for (int64_t i = 0; i < n; ++i) o[i] = v;
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    o[i * st[0]] = static_cast<Out>(op(static_cast<In>(std::get<I>(in)[i * st[I + 1]])...));
}

// Note [One loop per op]: runs `rows` rows of n elements, row r of operand k at
// ptrs[k] + r * row_bytes[k]. Every path of map() calls this, and it is kept out
// of line, so each op's vectorised loops are compiled once, not at each of map()'s
// four call sites: compare.cpp took 24.5 s to compile, unary.cpp 25.9 and
// arithmetic.cpp 23.1 (Zen 5 VM), now 17.1, 19.2 and 16.0, with 28-36% less
// code. Rows are looped here rather than by the caller, so that a row broadcast
// pays no call per row ([256, 256] + [256] on one core: 2.63-2.68 us either way;
// with a call per row, 2.97-3.24).
template <class Out, class... In, class Op, size_t... I>
[[gnu::noinline]] void run_rows(char* const* ptrs, const int64_t* row_bytes, int64_t rows, const int64_t* st,
                                int64_t n, const Op& op, std::index_sequence<I...> seq) {
  constexpr int N = 1 + sizeof...(In);
  char* p[N];
  for (int k = 0; k < N; ++k) p[k] = ptrs[k];
  for (int64_t r = 0; r < rows; ++r) {
    run_inner<Out, In...>(p, st, n, op, seq);
    for (int k = 0; k < N; ++k) p[k] += row_bytes[k];
  }
}

// An op that converts one element (the copy kernel's) declares
// `static constexpr bool kTilesTransposes = true` to take Note [Tiled
// transposes]'s path; other ops on a transposed input go row by row. Compiled
// for every one-input op, that path made each file of elementwise ops take 15%
// longer to compile, for ops that rarely meet a transposed input.
template <class Op>
concept TilesTransposes = Op::kTilesTransposes;

// block[i][j] = x[j, i] for a kBlock x kBlock block of x contiguous along i
// (Note [Tiled transposes]).
template <int64_t kBlock, class E>
inline void load_transposed(const E* x, int64_t x_stride, E (&block)[kBlock][kBlock]) {
  for (int64_t j = 0; j < kBlock; ++j)
    for (int64_t i = 0; i < kBlock; ++i) block[i][j] = x[j * x_stride + i];
}

// Note [Short rows]: a loop whose rows are short (a [4096, 16] + [16] row
// broadcast) runs the inner loop over blocks of rows instead of row by row when
// every input is contiguous across the rows, a row repeated along them, a column
// (one value per row) or one value. A repeated row is read from a block of copies
// of it, made once per run of rows; a column from a block of its values, each
// repeated along its row, made per block. Row by row, the inner loop's set-up and
// tail came once per row. One Zen 4 core, 65,536 floats:
// - [4096, 16] + [16]: 15-17 us row by row, 5.3 in blocks (libtorch 7.9);
// - [R, L] + [R, 1]: row by row 36 / 16.7 / 9.1 / 6.5 / 5.3 us at L = 8 / 16 /
//   32 / 48 / 64, in blocks 9.1 / 8.7 / 8.2 / 7.6 / 7.4 (libtorch 37 / 7.2 / 5.9
//   / 5.6 / 5.7), so columns are tiled up to rows of kMaxColumnInner.
class ShortRows {
 public:
  static constexpr int kMaxOperands = 6;
  // Rows shorter than this are tiled; a block holds kBlockElements elements.
  static constexpr int64_t kMaxInner = 128;
  static constexpr int64_t kMaxColumnInner = 32;
  static constexpr int64_t kBlockElements = 256;

  // Whether rows of `inner` elements are run in blocks, given each operand's
  // stride along the rows (row_strides) and within them (inner_strides), in
  // elements of elem_sizes[k] bytes; operand 0 is the output.
  bool plan(int operands, int64_t inner, const int64_t* row_strides, const int64_t* inner_strides,
            const size_t* elem_sizes);
  int64_t block_rows() const { return block_rows_; }
  // Points ptrs and strides at rows [row, row + rows) of a run whose operands'
  // row 0 is at run_start, as one loop of rows * inner elements.
  void prepare(char* const* run_start, int64_t row, int64_t rows, char** ptrs, int64_t* strides);

 private:
  enum class Kind : uint8_t { kContiguous, kRow, kColumn, kScalar };
  int operands_ = 0;
  int64_t inner_ = 0, block_rows_ = 0;
  Kind kinds_[kMaxOperands] = {};
  int64_t row_strides_[kMaxOperands] = {};
  size_t elem_sizes_[kMaxOperands] = {};
  const char* copied_row_[kMaxOperands] = {};  // the row whose copies a kRow block holds
  alignas(64) unsigned char blocks_[kMaxOperands][kBlockElements * sizeof(int64_t)];
};

}  // namespace detail

// out[i] = op(in[i]...) over out's shape. Each input must have dtype In and a shape
// broadcastable to out's; out must not overlap the inputs except exactly (in place).
template <class Out, class... In, class Op>
void map(const Tensor& out, const Op& op, const std::conditional_t<true, Tensor, In>&... in) {
  constexpr int N = 1 + sizeof...(In);
  const int64_t numel = out.numel();
  if (numel == 0) return;
  auto seq = std::make_index_sequence<sizeof...(In)>();
  static constexpr int64_t kNoRowStep[N] = {};  // for run_rows over a single row
  // Fast path for the common case, and what matters for tiny tensors: every
  // operand contiguous with the output's element count, or a single element.
  if (out.is_contiguous() && ((in.is_contiguous() && (in.numel() == numel || in.numel() == 1)) && ...)) {
    char* base[N] = {static_cast<char*>(out.data_ptr()), static_cast<char*>(in.data_ptr())...};
    const int64_t st[N] = {1, (in.numel() == numel ? int64_t(1) : int64_t(0))...};
    constexpr size_t elem[N] = {sizeof(Out), sizeof(In)...};
    core::parallel_for(numel, core::kElementwiseGrain, [&](int64_t b, int64_t e) {
      char* p[N];
      for (int k = 0; k < N; ++k) p[k] = base[k] + b * st[k] * static_cast<int64_t>(elem[k]);
      detail::run_rows<Out, In...>(p, kNoRowStep, 1, st, e - b, op, seq);
    });
    return;
  }
  int ndim = static_cast<int>(out.dim());
  TG_INTERNAL_ASSERT(ndim <= LoopShape::kMaxDims);
  int64_t sizes[LoopShape::kMaxDims];
  int64_t strides[N][LoopShape::kMaxDims];
  char* base[N];
  {
    const Tensor* ops[N] = {&out, &in...};
    for (int k = 0; k < N; ++k) {
      base[k] = static_cast<char*>(ops[k]->data_ptr());
      detail::broadcast_strides(*ops[k], out.sizes(), strides[k]);
    }
    for (int d = 0; d < ndim; ++d) sizes[d] = out.sizes()[d];
    int64_t* sp[N];
    for (int k = 0; k < N; ++k) sp[k] = strides[k];
    if (!out.is_contiguous()) detail::order_by_output_strides(ndim, sizes, sp, N);
    ndim = detail::coalesce(ndim, sizes, sp, N);
  }
  constexpr size_t elem[N] = {sizeof(Out), sizeof(In)...};
  const int64_t inner = ndim == 0 ? 1 : sizes[ndim - 1];
  int64_t inner_st[N];
  for (int k = 0; k < N; ++k) inner_st[k] = ndim == 0 ? 1 : strides[k][ndim - 1];
  const int64_t outer = numel / inner;

  if (outer == 1) {
    core::parallel_for(inner, core::kElementwiseGrain, [&](int64_t b, int64_t e) {
      char* p[N];
      for (int k = 0; k < N; ++k) p[k] = base[k] + b * inner_st[k] * static_cast<int64_t>(elem[k]);
      detail::run_rows<Out, In...>(p, kNoRowStep, 1, inner_st, e - b, op, seq);
    });
    return;
  }
  if constexpr (sizeof...(In) == 1 && detail::TilesTransposes<Op>) {
    // Note [Tiled transposes]: an input contiguous along the second-to-last dim
    // but not the last (x.t().contiguous(), a transposed conversion) read row by
    // row touches a new cache line for every element. Tiles of kTile rows read
    // each line once: 1024 x 1024 floats took 1.58 ms row by row (Zen 4), 0.94
    // in tiles. Within a tile, blocks of kBlock x kBlock go through a local
    // array (detail::load_transposed), read along the input's contiguous dim
    // and written along the output's, both as vector loads and stores: 0.38 ms.
    constexpr int64_t kTile = 32, kBlock = 16;
    if (ndim >= 2 && inner_st[0] == 1 && strides[1][ndim - 2] == 1 && inner_st[1] != 1 && inner_st[1] != 0 &&
        sizes[ndim - 2] >= kTile && inner >= kTile) {
      using First = std::tuple_element_t<0, std::tuple<In...>>;
      const int64_t rows = sizes[ndim - 2], row_tiles = (rows + kTile - 1) / kTile;
      const int64_t out_row = strides[0][ndim - 2], in_column = inner_st[1];
      const int64_t tile_grain = std::max<int64_t>(1, core::kElementwiseGrain / (kTile * inner));
      core::parallel_for(outer / rows * row_tiles, tile_grain, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          // Offsets of the matrix t / row_tiles over the dims before the last two.
          int64_t rem = t / row_tiles, off[N] = {};
          for (int d = ndim - 3; d >= 0; --d) {
            for (int k = 0; k < N; ++k) off[k] += rem % sizes[d] * strides[k][d];
            rem /= sizes[d];
          }
          const int64_t r0 = t % row_tiles * kTile, r1 = std::min(rows, r0 + kTile);
          for (int64_t c0 = 0; c0 < inner; c0 += kBlock) {
            const int64_t columns = std::min(kBlock, inner - c0);
            for (int64_t rb = r0; rb < r1; rb += kBlock) {
              const int64_t block_rows = std::min(kBlock, r1 - rb);
              // out[rb + i, c0 + j] = op(x[c0 + j, rb + i]), x contiguous along i.
              auto* o = reinterpret_cast<detail::Loaded<Out>*>(base[0]) + off[0] + rb * out_row + c0;
              const auto* x = reinterpret_cast<const detail::Loaded<First>*>(base[1]) + off[1] + rb + c0 * in_column;
              if (columns == kBlock && block_rows == kBlock) {
                detail::Loaded<First> block[kBlock][kBlock];
                detail::load_transposed(x, in_column, block);
                for (int64_t i = 0; i < kBlock; ++i)
                  for (int64_t j = 0; j < kBlock; ++j)
                    o[i * out_row + j] = static_cast<Out>(op(static_cast<First>(block[i][j])));
                continue;
              }
              for (int64_t i = 0; i < block_rows; ++i)
                for (int64_t j = 0; j < columns; ++j)
                  o[i * out_row + j] = static_cast<Out>(op(static_cast<First>(x[j * in_column + i])));
            }
          }
        }
      });
      return;
    }
  }
  const int64_t grain = std::max<int64_t>(1, core::kElementwiseGrain / inner);
  // Here outer > 1, so there are at least two dims.
  // Rows run in runs along the second-to-last dim, whose offsets are multiples of
  // the row's index there; the dims before it are worked out once per run. An
  // odometer over all the outer dims, advanced per row through memory, took
  // 4096 x 16 floats + a row of 16 112 us (Zen 4), this 15 us.
  const int64_t rows_per_run = sizes[ndim - 2];
  int64_t row_st[N], row_bytes[N];
  for (int k = 0; k < N; ++k) {
    row_st[k] = strides[k][ndim - 2];
    row_bytes[k] = row_st[k] * static_cast<int64_t>(elem[k]);
  }
  core::parallel_for(outer, grain, [&](int64_t b, int64_t e) {
    detail::ShortRows short_rows;
    const bool tiled = short_rows.plan(N, inner, row_st, inner_st, elem);
    for (int64_t row = b; row < e;) {
      int64_t rem = row / rows_per_run, first[N] = {};
      for (int d = ndim - 3; d >= 0; --d) {
        for (int k = 0; k < N; ++k) first[k] += rem % sizes[d] * strides[k][d];
        rem /= sizes[d];
      }
      const int64_t r0 = row % rows_per_run, r1 = std::min(rows_per_run, r0 + (e - row));
      row += r1 - r0;
      if (tiled && r1 - r0 > 1) {
        char* run_start[N];
        for (int k = 0; k < N; ++k) run_start[k] = base[k] + first[k] * static_cast<int64_t>(elem[k]);
        for (int64_t r = r0; r < r1; r += short_rows.block_rows()) {
          const int64_t rows = std::min(short_rows.block_rows(), r1 - r);
          char* p[N];
          int64_t st[N];
          short_rows.prepare(run_start, r, rows, p, st);
          detail::run_rows<Out, In...>(p, kNoRowStep, 1, st, rows * inner, op, seq);
        }
        continue;
      }
      char* p[N];
      for (int k = 0; k < N; ++k) p[k] = base[k] + (first[k] + r0 * row_st[k]) * static_cast<int64_t>(elem[k]);
      detail::run_rows<Out, In...>(p, row_bytes, r1 - r0, inner_st, inner, op, seq);
    }
  });
}

}  // namespace tg::kernels
