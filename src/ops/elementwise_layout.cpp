// The memory layout of an elementwise op's result.
#include "ops/ops_internal.h"

namespace tg::ops {

// Note [Elementwise output layout]: as libtorch's TensorIterator, an elementwise
// result takes the dim order of its inputs' strides instead of always being
// contiguous: exp(x.t()) and x.t() * 2 are transposed, like x.t(). The order is
// libtorch's: an insertion sort of the dims, fastest first, where the first input
// whose strides differ along the two dims decides (broadcast dims, stride 0, do
// not take part; equal strides put the smaller dim first). The result is then
// dense in that order. Inputs that are all contiguous, the common case, give a
// contiguous result without the sort (empty_elementwise, inline).
//
// Why: the loop then reads and writes memory in order (kernels::map walks the
// dims in the order of the result's strides). On 1024 x 1024 floats, one thread:
// x.t() * 2 took 515 us with a contiguous result (the input copied in tiles
// first) and takes 130 us in x.t()'s layout, exp(x.t()) 770 -> 375 us (libtorch
// 141 and 821 in the same run). And libtorch's strides are part of what a program
// written for it sees (is_contiguous, view).
Tensor empty_in_inputs_order(IntArrayRef shape, ScalarType dtype, std::initializer_list<const Tensor*> inputs) {
  const auto nd = static_cast<int64_t>(shape.size());
  if (nd < 2) return empty(shape, dtype);

  // t's stride along dim d of the result (0 where t is broadcast along it).
  auto stride_along = [&](const Tensor& t, int64_t d) -> int64_t {
    const int64_t own = d - (nd - t.dim());
    if (own < 0 || (t.size(own) == 1 && shape[d] != 1)) return 0;
    return t.stride(own);
  };
  // > 0 when d0 goes after d1 in the fastest-first order, < 0 before, 0 undecided.
  auto compare = [&](int64_t d0, int64_t d1) {
    for (const Tensor* t : inputs) {
      const int64_t s0 = stride_along(*t, d0), s1 = stride_along(*t, d1);
      if (s0 == 0 || s1 == 0) continue;
      if (s0 != s1) return s0 < s1 ? -1 : 1;
      if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
  };
  DimVector order(nd, 0);  // fastest first
  for (int64_t i = 0; i < nd; ++i) order[i] = nd - 1 - i;
  for (int64_t i = 1; i < nd; ++i) {
    for (int64_t later = i, earlier = i - 1; earlier >= 0; --earlier) {
      const int c = compare(order[earlier], order[later]);
      if (c < 0) break;
      if (c > 0) {
        std::swap(order[earlier], order[later]);
        later = earlier;
      }
    }
  }
  bool in_order = true;
  for (int64_t i = 0; i < nd; ++i) in_order = in_order && order[i] == nd - 1 - i;
  if (in_order) return empty(shape, dtype);

  DimVector strides(nd, 0);
  int64_t next = 1;
  for (int64_t d : order) {
    strides[d] = next;
    next *= shape[d];
  }
  return empty_strided(shape, strides, dtype);
}

}  // namespace tg::ops
