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

}  // namespace tg::kernels::detail
