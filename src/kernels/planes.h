#pragma once
// What the kernels that slide a window over image planes share (im2col / col2im
// and pooling): the range of output positions whose window start lies inside the
// image, and the loop over planes that splits them across the threads.
#include <algorithm>
#include <cstdint>

#include "core/parallel.h"

namespace tg::kernels::detail {

// The output positions o in [0, out) whose input position o * stride + offset lies
// inside [0, size): a contiguous range, so each row needs no per-element test.
struct Span {
  int64_t begin, end;
};
inline Span inside(int64_t offset, int64_t size, int64_t stride, int64_t out) {
  const int64_t b = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t e = offset >= size ? 0 : (size - 1 - offset) / stride + 1;
  const int64_t begin = std::min(b, out);
  return {begin, std::max(begin, std::min(e, out))};
}

// fn(p) for every plane p < planes. Work on one (image, channel) plane is
// independent of every other plane, in both directions: the unit of parallelism,
// with enough planes per thread to cover the cost of waking it.
template <class F>
void for_each_plane(int64_t planes, int64_t work_per_plane, const F& fn) {
  core::parallel_for(planes, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(work_per_plane, 1)),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t p = begin; p < end; ++p) fn(p);
                     });
}

}  // namespace tg::kernels::detail
