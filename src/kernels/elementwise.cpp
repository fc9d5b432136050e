#include "kernels/elementwise.h"

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

}  // namespace tg::kernels::detail
