#pragma once
// The elementwise loop: an output and inputs already of their loop types, inputs
// broadcast to the output's shape. Dimensions are merged where every operand is
// contiguous across them, so most calls run a single flat loop that the compiler
// vectorises; large ones are split over threads. The functor is inlined into the
// op's row loop (run_rows), which is called through a pointer once per piece of
// the loop, never per element.
#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/parallel.h"
#include "tensorgrad/tensor.h"

namespace tg::kernels {

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
// ptrs[k] + r * row_bytes[k], with the op behind a pointer (RowsKernel). This is
// all that map() compiles per op; how the loop is laid out and cut over threads
// (run_map) is compiled once. Inlined into each op, that driver was three fifths
// of the code of a file of elementwise ops (arithmetic.cpp: 327 of 519 KB) and
// most of its compile time. Rows are looped here rather than by the driver, so
// that a row broadcast pays no call per row ([256, 256] + [256] on one core:
// 2.63-2.68 us either way; with a call per row, 2.97-3.24).
template <class Op, class Out, class... In>
[[gnu::noinline]] void run_rows(char* const* ptrs, const int64_t* row_bytes, int64_t rows, const int64_t* st,
                                int64_t n, const void* erased_op) {
  const Op& op = *static_cast<const Op*>(erased_op);
  constexpr int N = 1 + sizeof...(In);
  char* p[N];
  for (int k = 0; k < N; ++k) p[k] = ptrs[k];
  for (int64_t r = 0; r < rows; ++r) {
    run_inner<Out, In...>(p, st, n, op, std::index_sequence_for<In...>());
    for (int k = 0; k < N; ++k) p[k] += row_bytes[k];
  }
}
using RowsKernel = void (*)(char* const* ptrs, const int64_t* row_bytes, int64_t rows, const int64_t* st, int64_t n,
                            const void* op);

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

// The operands' loop (operand 0 the output) after broadcasting, reordering and
// coalescing: sizes and strides (in elements) innermost-last.
struct LoopLayout {
  static constexpr int kMaxDims = 64;
  static constexpr int kMaxOperands = ShortRows::kMaxOperands;
  int operands = 0, ndim = 0;
  size_t elem[kMaxOperands];
  char* base[kMaxOperands];
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxOperands][kMaxDims];

  int64_t inner() const { return ndim == 0 ? 1 : sizes[ndim - 1]; }
  int64_t inner_stride(int k) const { return ndim == 0 ? 1 : strides[k][ndim - 1]; }
};
// An op's own path for some layouts, tried before the rows loop: returns whether
// it ran the loop.
using LayoutKernel = bool (*)(const LoopLayout& layout, const void* op);

// map()'s driver, compiled once for all ops: lays the loop out and cuts it over
// threads, and calls `rows` (the op's run_rows) for each piece; `special` (or
// null) is offered the layout first when the loop has more than one row.
void run_map(const Tensor* const* operands, const size_t* elem, int count, RowsKernel rows, LayoutKernel special,
             const void* op);

// An op that converts one element (the copy kernel's) declares
// `static constexpr bool kTilesTransposes = true` to take this path; other ops on
// a transposed input go row by row. Compiled for every one-input op, it made each
// file of elementwise ops take 15% longer to compile, for ops that rarely meet a
// transposed input.
template <class Op>
concept TilesTransposes = Op::kTilesTransposes;

// block[i][j] = x[j, i] for a kBlock x kBlock block of x contiguous along i.
template <int64_t kBlock, class E>
inline void load_transposed(const E* x, int64_t x_stride, E (&block)[kBlock][kBlock]) {
  for (int64_t j = 0; j < kBlock; ++j)
    for (int64_t i = 0; i < kBlock; ++i) block[i][j] = x[j * x_stride + i];
}

// Note [Tiled transposes]: an input contiguous along the second-to-last dim but
// not the last (x.t().contiguous(), a transposed conversion) read row by row
// touches a new cache line for every element. Tiles of kTile rows read each line
// once: 1024 x 1024 floats took 1.58 ms row by row (Zen 4), 0.94 in tiles. Within
// a tile, blocks of kBlock x kBlock go through a local array (load_transposed),
// read along the input's contiguous dim and written along the output's, both as
// vector loads and stores: 0.38 ms.
template <class Op, class Out, class In>
bool run_tiled_transposes(const LoopLayout& layout, const void* erased_op) {
  constexpr int64_t kTile = 32, kBlock = 16;
  const int ndim = layout.ndim;
  const int64_t inner = layout.inner();
  if (!(ndim >= 2 && layout.inner_stride(0) == 1 && layout.strides[1][ndim - 2] == 1 &&
        layout.inner_stride(1) != 1 && layout.inner_stride(1) != 0 && layout.sizes[ndim - 2] >= kTile &&
        inner >= kTile))
    return false;
  const Op& op = *static_cast<const Op*>(erased_op);
  const int64_t rows = layout.sizes[ndim - 2], row_tiles = (rows + kTile - 1) / kTile;
  int64_t matrices = 1;
  for (int d = 0; d < ndim - 2; ++d) matrices *= layout.sizes[d];
  const int64_t out_row = layout.strides[0][ndim - 2], in_column = layout.inner_stride(1);
  const int64_t tile_grain = std::max<int64_t>(1, core::kElementwiseGrain / (kTile * inner));
  core::parallel_for(matrices * row_tiles, tile_grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      // Offsets of the matrix t / row_tiles over the dims before the last two.
      int64_t rem = t / row_tiles, off[2] = {};
      for (int d = ndim - 3; d >= 0; --d) {
        for (int k = 0; k < 2; ++k) off[k] += rem % layout.sizes[d] * layout.strides[k][d];
        rem /= layout.sizes[d];
      }
      const int64_t r0 = t % row_tiles * kTile, r1 = std::min(rows, r0 + kTile);
      for (int64_t c0 = 0; c0 < inner; c0 += kBlock) {
        const int64_t columns = std::min(kBlock, inner - c0);
        for (int64_t rb = r0; rb < r1; rb += kBlock) {
          const int64_t block_rows = std::min(kBlock, r1 - rb);
          // out[rb + i, c0 + j] = op(x[c0 + j, rb + i]), x contiguous along i.
          auto* o = reinterpret_cast<Loaded<Out>*>(layout.base[0]) + off[0] + rb * out_row + c0;
          const auto* x = reinterpret_cast<const Loaded<In>*>(layout.base[1]) + off[1] + rb + c0 * in_column;
          if (columns == kBlock && block_rows == kBlock) {
            Loaded<In> block[kBlock][kBlock];
            load_transposed(x, in_column, block);
            for (int64_t i = 0; i < kBlock; ++i)
              for (int64_t j = 0; j < kBlock; ++j)
                o[i * out_row + j] = static_cast<Out>(op(static_cast<In>(block[i][j])));
            continue;
          }
          for (int64_t i = 0; i < block_rows; ++i)
            for (int64_t j = 0; j < columns; ++j)
              o[i * out_row + j] = static_cast<Out>(op(static_cast<In>(x[j * in_column + i])));
        }
      }
    }
  });
  return true;
}

}  // namespace detail

// out[i] = op(in[i]...) over out's shape. Each input must have dtype In and a shape
// broadcastable to out's; out must not overlap the inputs except exactly (in place).
template <class Out, class... In, class Op>
void map(const Tensor& out, const Op& op, const std::conditional_t<true, Tensor, In>&... in) {
  constexpr int N = 1 + sizeof...(In);
  static_assert(N <= detail::LoopLayout::kMaxOperands, "map: too many operands");
  // A loop within one grain over contiguous operands (every op on a small tensor)
  // is called from here: through the driver's general checks, x * 2 on 16 floats
  // took 48-53 ns on one core, against 38-42.
  const int64_t numel = out.numel();
  if (numel <= core::kElementwiseGrain && out.is_contiguous() &&
      ((in.is_contiguous() && (in.numel() == numel || in.numel() == 1)) && ...)) {
    char* ptrs[N] = {static_cast<char*>(out.data_ptr()), static_cast<char*>(in.data_ptr())...};
    const int64_t st[N] = {1, (in.numel() == numel ? int64_t(1) : int64_t(0))...};
    const int64_t no_row_step[N] = {};
    detail::run_rows<Op, Out, In...>(ptrs, no_row_step, 1, st, numel, &op);
    return;
  }
  const Tensor* operands[N] = {&out, &in...};
  static constexpr size_t elem[N] = {sizeof(Out), sizeof(In)...};
  detail::LayoutKernel special = nullptr;
  if constexpr (sizeof...(In) == 1 && detail::TilesTransposes<Op>)
    special = &detail::run_tiled_transposes<Op, Out, In...>;
  detail::run_map(operands, elem, N, &detail::run_rows<Op, Out, In...>, special, &op);
}

}  // namespace tg::kernels
