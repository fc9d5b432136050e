#pragma once
// Reductions over a tensor viewed as [outer, R, inner] (R the reduced extent).
// Note [Deterministic reductions]: every output element is summed in an order
// fixed by the data layout alone — fixed-size blocks summed with a fixed set of
// accumulators, block partials combined pairwise — never by how work is split
// between threads, so results are bit-identical for any thread count.
#include <cstdint>

#include "tensorgrad/tensor.h"

namespace tg::kernels {

struct ReduceLayout {
  Tensor input;  // contiguous, laid out as [outer, reduce, inner]
  int64_t outer = 1, reduce = 1, inner = 1;
  DimVector kept_shape;  // the input's shape with reduced dims set to 1
  DimVector out_shape;   // the input's shape without the reduced dims
};

// The reduced dims of x (bit d of mask = dim d) with size above 1, from first to
// last; block: no kept dim of size above 1 lies between them. first is -1 when
// nothing is reduced.
struct ReducedSpan {
  int64_t first, last;
  bool block;
};
ReducedSpan reduced_span(const Tensor& x, uint64_t mask);

// The shapes of a reduction of x over `mask` (input and layout left empty).
ReduceLayout reduced_shapes(const Tensor& x, uint64_t mask);

// Arranges x so that the dims in `mask` form the middle extent, copying only when
// they are not already adjacent (reduced_span(x, mask).block) in a contiguous
// tensor, or in a dense x read in memory order (Note [Reducing in memory order]:
// several reduced dims are then taken in memory order).
ReduceLayout plan_reduction(const Tensor& x, uint64_t mask);

// out[o, i] = sum_r in[o, r, i], accumulated in T (out is [outer, inner]).
template <class T>
void sum(const T* in, T* out, int64_t outer, int64_t reduce, int64_t inner);

// Extremum over r with the index of the first extreme element (NaN counts as the
// extreme and propagates, as in libtorch). indices may be null.
template <class T, bool Max>
void extremum(const T* in, T* out, int64_t* indices, int64_t outer, int64_t reduce, int64_t inner);

}  // namespace tg::kernels
