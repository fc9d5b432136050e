#include "kernels/elementwise.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tg::kernels::detail {

void broadcast_strides(const Tensor& t, IntArrayRef shape, int64_t* out) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  const int64_t td = t.dim();
  for (int64_t d = 0; d < nd; ++d) {
    int64_t src = d - (nd - td);
    out[d] = (src < 0 || t.sizes()[src] == 1) ? 0 : t.strides()[src];
  }
}

void order_by_output_strides(int ndim, int64_t* sizes, int64_t* const* strides, int nops) {
  // Insertion sort, stable: dims of equal output stride (size 1) keep their order.
  for (int i = 1; i < ndim; ++i) {
    for (int d = i; d > 0 && strides[0][d - 1] < strides[0][d]; --d) {
      std::swap(sizes[d - 1], sizes[d]);
      for (int k = 0; k < nops; ++k) std::swap(strides[k][d - 1], strides[k][d]);
    }
  }
}

int coalesce(int ndim, int64_t* sizes, int64_t* const* strides, int nops) {
  // Drop size-1 dims first: their strides are meaningless.
  int w = 0;
  for (int d = 0; d < ndim; ++d) {
    if (sizes[d] == 1) continue;
    sizes[w] = sizes[d];
    for (int k = 0; k < nops; ++k) strides[k][w] = strides[k][d];
    ++w;
  }
  ndim = w;
  if (ndim <= 1) return ndim;
  // Merge dim d into the following one when every operand steps through them as one.
  int out = 0;
  for (int d = 1; d < ndim; ++d) {
    bool can = true;
    for (int k = 0; k < nops && can; ++k) can = strides[k][out] == strides[k][d] * sizes[d];
    if (can) {
      sizes[out] *= sizes[d];
      for (int k = 0; k < nops; ++k) strides[k][out] = strides[k][d];
    } else {
      ++out;
      sizes[out] = sizes[d];
      for (int k = 0; k < nops; ++k) strides[k][out] = strides[k][d];
    }
  }
  return out + 1;
}

bool ShortRows::plan(int operands, int64_t inner, const int64_t* row_strides, const int64_t* inner_strides,
                     const size_t* elem_sizes) {
  if (operands > kMaxOperands || inner >= kMaxInner || inner_strides[0] != 1 || row_strides[0] != inner) return false;
  for (int k = 1; k < operands; ++k) {
    if (elem_sizes[k] > sizeof(int64_t)) return false;
    const bool along = inner_strides[k] == 1, repeated = inner_strides[k] == 0;
    if (along && row_strides[k] == inner) kinds_[k] = Kind::kContiguous;
    else if (along && row_strides[k] == 0) kinds_[k] = Kind::kRow;
    else if (repeated && row_strides[k] == 0) kinds_[k] = Kind::kScalar;
    else if (repeated && inner <= kMaxColumnInner) kinds_[k] = Kind::kColumn;
    else return false;
    copied_row_[k] = nullptr;
  }
  kinds_[0] = Kind::kContiguous;
  operands_ = operands;
  inner_ = inner;
  block_rows_ = kBlockElements / inner;
  std::copy(row_strides, row_strides + operands, row_strides_);
  std::copy(elem_sizes, elem_sizes + operands, elem_sizes_);
  return true;
}

namespace {
// Row i of the block at `to` (`inner` elements) is `inner` copies of the element
// at from + i * stride bytes, for rows i < rows.
// Row lengths the compiler knows (kInner > 0) fill each row with whole vector
// stores: [R, L] + [R, 1] on 65,536 floats took 44 / 19.6 / 10.2 us at L = 4 / 8
// / 16 with the length a variable, 9.8 / 9.1 / 8.7 with it a constant (one Zen 4
// core; libtorch 42 / 37 / 7.2).
template <class E, int64_t kInner = 0>
void repeat_along_rows(const char* from, int64_t stride, int64_t rows, int64_t inner, unsigned char* to) {
  E* out = reinterpret_cast<E*>(to);
  if constexpr (kInner > 0) inner = kInner;
  for (int64_t i = 0; i < rows; ++i) {
    E value;
    std::memcpy(&value, from + i * stride, sizeof(E));
    for (int64_t j = 0; j < inner; ++j) out[i * inner + j] = value;
  }
}
// Kept out of line: inlined, the column fills made ShortRows::prepare large, and
// a row broadcast's blocks ([4096, 16] + [16]) ran 10% slower.
template <class E>
[[gnu::noinline]] void repeat_along_rows_of(const char* from, int64_t stride, int64_t rows, int64_t inner,
                                            unsigned char* to) {
  switch (inner) {
    case 4: return repeat_along_rows<E, 4>(from, stride, rows, inner, to);
    case 8: return repeat_along_rows<E, 8>(from, stride, rows, inner, to);
    case 16: return repeat_along_rows<E, 16>(from, stride, rows, inner, to);
    case 32: return repeat_along_rows<E, 32>(from, stride, rows, inner, to);
    default: return repeat_along_rows<E>(from, stride, rows, inner, to);
  }
}
}  // namespace

void ShortRows::prepare(char* const* run_start, int64_t row, int64_t rows, char** ptrs, int64_t* strides) {
  for (int k = 0; k < operands_; ++k) {
    const auto size = static_cast<int64_t>(elem_sizes_[k]);
    strides[k] = 1;
    switch (kinds_[k]) {
      case Kind::kContiguous:
        ptrs[k] = run_start[k] + row * row_strides_[k] * size;
        break;
      case Kind::kRow:
        if (copied_row_[k] != run_start[k]) {
          for (int64_t i = 0; i < block_rows_; ++i)
            std::memcpy(blocks_[k] + i * inner_ * size, run_start[k], static_cast<size_t>(inner_ * size));
          copied_row_[k] = run_start[k];
        }
        ptrs[k] = reinterpret_cast<char*>(blocks_[k]);
        break;
      case Kind::kColumn: {
        const char* from = run_start[k] + row * row_strides_[k] * size;
        const int64_t stride = row_strides_[k] * size;
        switch (size) {
          case 1: repeat_along_rows_of<uint8_t>(from, stride, rows, inner_, blocks_[k]); break;
          case 2: repeat_along_rows_of<uint16_t>(from, stride, rows, inner_, blocks_[k]); break;
          case 4: repeat_along_rows_of<uint32_t>(from, stride, rows, inner_, blocks_[k]); break;
          default: repeat_along_rows_of<uint64_t>(from, stride, rows, inner_, blocks_[k]); break;
        }
        ptrs[k] = reinterpret_cast<char*>(blocks_[k]);
        break;
      }
      case Kind::kScalar:
        ptrs[k] = run_start[k];
        strides[k] = 0;
        break;
    }
  }
}

namespace {
constexpr int64_t kNoRowStep[LoopLayout::kMaxOperands] = {};  // for a single row

// Whether every operand is contiguous with the output's element count or is a
// single element: the common case, and what matters for tiny tensors.
bool all_flat(const Tensor* const* operands, int count, int64_t numel) {
  if (!operands[0]->is_contiguous()) return false;
  for (int k = 1; k < count; ++k) {
    const Tensor& t = *operands[k];
    if (!t.is_contiguous() || (t.numel() != numel && t.numel() != 1)) return false;
  }
  return true;
}

// Runs [b, e) of a loop that is one row, operand k at base[k] with stride st[k].
void run_flat_range(char* const* base, const int64_t* st, const size_t* elem, int count, int64_t b, int64_t e,
                    RowsKernel rows, const void* op) {
  char* p[LoopLayout::kMaxOperands];
  for (int k = 0; k < count; ++k) p[k] = base[k] + b * st[k] * static_cast<int64_t>(elem[k]);
  rows(p, kNoRowStep, 1, st, e - b, op);
}

void lay_out(LoopLayout& layout, const Tensor* const* operands, const size_t* elem, int count) {
  const Tensor& out = *operands[0];
  layout.operands = count;
  layout.ndim = static_cast<int>(out.dim());
  TG_INTERNAL_ASSERT(layout.ndim <= LoopLayout::kMaxDims);
  int64_t* strides[LoopLayout::kMaxOperands];
  for (int k = 0; k < count; ++k) {
    layout.elem[k] = elem[k];
    layout.base[k] = static_cast<char*>(operands[k]->data_ptr());
    broadcast_strides(*operands[k], out.sizes(), layout.strides[k]);
    strides[k] = layout.strides[k];
  }
  for (int d = 0; d < layout.ndim; ++d) layout.sizes[d] = out.sizes()[d];
  if (!out.is_contiguous()) order_by_output_strides(layout.ndim, layout.sizes, strides, count);
  layout.ndim = coalesce(layout.ndim, layout.sizes, strides, count);
}

// Here the loop has more than one row, so at least two dims.
// Rows run in runs along the second-to-last dim, whose offsets are multiples of
// the row's index there; the dims before it are worked out once per run. An
// odometer over all the outer dims, advanced per row through memory, took
// 4096 x 16 floats + a row of 16 112 us (Zen 4), this 15 us.
void run_row_runs(const LoopLayout& layout, int64_t outer, RowsKernel rows, const void* op) {
  const int count = layout.operands, ndim = layout.ndim;
  const int64_t inner = layout.inner();
  int64_t inner_st[LoopLayout::kMaxOperands], row_st[LoopLayout::kMaxOperands], row_bytes[LoopLayout::kMaxOperands];
  for (int k = 0; k < count; ++k) {
    inner_st[k] = layout.inner_stride(k);
    row_st[k] = layout.strides[k][ndim - 2];
    row_bytes[k] = row_st[k] * static_cast<int64_t>(layout.elem[k]);
  }
  const int64_t rows_per_run = layout.sizes[ndim - 2];
  const int64_t grain = std::max<int64_t>(1, core::kElementwiseGrain / inner);
  core::parallel_for(outer, grain, [&](int64_t b, int64_t e) {
    ShortRows short_rows;
    const bool tiled = short_rows.plan(count, inner, row_st, inner_st, layout.elem);
    for (int64_t row = b; row < e;) {
      int64_t rem = row / rows_per_run, first[LoopLayout::kMaxOperands] = {};
      for (int d = ndim - 3; d >= 0; --d) {
        for (int k = 0; k < count; ++k) first[k] += rem % layout.sizes[d] * layout.strides[k][d];
        rem /= layout.sizes[d];
      }
      const int64_t r0 = row % rows_per_run, r1 = std::min(rows_per_run, r0 + (e - row));
      row += r1 - r0;
      char* p[LoopLayout::kMaxOperands];
      if (tiled && r1 - r0 > 1) {
        char* run_start[LoopLayout::kMaxOperands];
        for (int k = 0; k < count; ++k) run_start[k] = layout.base[k] + first[k] * static_cast<int64_t>(layout.elem[k]);
        for (int64_t r = r0; r < r1; r += short_rows.block_rows()) {
          const int64_t block = std::min(short_rows.block_rows(), r1 - r);
          int64_t st[LoopLayout::kMaxOperands];
          short_rows.prepare(run_start, r, block, p, st);
          rows(p, kNoRowStep, 1, st, block * inner, op);
        }
        continue;
      }
      for (int k = 0; k < count; ++k)
        p[k] = layout.base[k] + (first[k] + r0 * row_st[k]) * static_cast<int64_t>(layout.elem[k]);
      rows(p, row_bytes, r1 - r0, inner_st, inner, op);
    }
  });
}
}  // namespace

void run_map(const Tensor* const* operands, const size_t* elem, int count, RowsKernel rows, LayoutKernel special,
             const void* op) {
  const int64_t numel = operands[0]->numel();
  if (numel == 0) return;
  if (all_flat(operands, count, numel)) {
    char* base[LoopLayout::kMaxOperands];
    int64_t st[LoopLayout::kMaxOperands];
    for (int k = 0; k < count; ++k) {
      base[k] = static_cast<char*>(operands[k]->data_ptr());
      st[k] = operands[k]->numel() == numel ? 1 : 0;
    }
    core::parallel_for(numel, core::kElementwiseGrain,
                       [&](int64_t b, int64_t e) { run_flat_range(base, st, elem, count, b, e, rows, op); });
    return;
  }
  LoopLayout layout;
  lay_out(layout, operands, elem, count);
  const int64_t inner = layout.inner(), outer = numel / inner;
  if (outer == 1) {
    int64_t st[LoopLayout::kMaxOperands];
    for (int k = 0; k < count; ++k) st[k] = layout.inner_stride(k);
    core::parallel_for(inner, core::kElementwiseGrain,
                       [&](int64_t b, int64_t e) { run_flat_range(layout.base, st, elem, count, b, e, rows, op); });
    return;
  }
  if (special && special(layout, op)) return;
  run_row_runs(layout, outer, rows, op);
}

}  // namespace tg::kernels::detail
