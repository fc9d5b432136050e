#pragma once
// Shape arithmetic shared by every op: broadcasting, strides, dimension wrapping.
#include <cstdint>
#include <string>

#include "tensorgrad/array_ref.h"

namespace tg::core {

int64_t numel_of(IntArrayRef sizes);
// The product of non-negative sizes in one pass, and whether the product of the
// non-zero ones exceeds int64. Such a shape is refused even when a size-0 dim
// makes it empty (libtorch accepts zeros({1 << 62, 4, 0})): the kernels' index
// arithmetic multiplies the other extents. Inline: every new tensor asks.
struct CheckedNumel {
  int64_t value;
  bool overflow;
};
inline CheckedNumel checked_numel(IntArrayRef sizes) {
  int64_t n = 1;
  bool overflow = false, empty = false;
  for (int64_t s : sizes) {
    empty |= s == 0;
    overflow |= __builtin_mul_overflow(n, s == 0 ? 1 : s, &n);
  }
  return {empty ? 0 : n, overflow};
}
bool is_contiguous(IntArrayRef sizes, IntArrayRef strides);
DimVector contiguous_strides(IntArrayRef sizes);
// libtorch's broadcasting of two shapes; `op` names the operation in the error.
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b);
// Wraps a possibly negative dim into [0, ndim); libtorch's error when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, bool scalar_as_1d = true);
// Wraps a list of dims, rejecting repeats; an empty list means all dims.
uint64_t dims_mask(IntArrayRef dims, int64_t ndim, const char* op);
// Strides for viewing a tensor with `strides` as `new_sizes` without copying, or
// an empty result when impossible (libtorch's computeStride).
bool view_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef new_sizes, DimVector& out);
// Resolves a -1 in a requested shape given the number of elements.
DimVector infer_size(IntArrayRef shape, int64_t numel);
// A shape seen as [outer, size, inner] around dim d: the product of the dims
// before d, d's size, and the product of the dims after it (how an op along one
// dim walks a contiguous tensor).
struct DimSplit {
  int64_t outer = 1, size = 1, inner = 1;
};
DimSplit split_at(IntArrayRef sizes, int64_t d);
// "[2, 3]"
std::string shape_str(IntArrayRef sizes);

}  // namespace tg::core
