#pragma once
// softmax / log_softmax along one dim of a contiguous tensor seen as
// [outer, dim, inner]; stable for large logits (the maximum is subtracted first).
#include <cstdint>

namespace tg::kernels {

template <class T, bool Log>
void softmax(const T* in, T* out, int64_t outer, int64_t dim, int64_t inner);

// grad_in = y * (g - sum(g * y)) for softmax, g - exp(y) * sum(g) for log_softmax
// (y the forward output), in one pass per row.
template <class T, bool Log>
void softmax_backward(const T* grad, const T* y, T* out, int64_t outer, int64_t dim, int64_t inner);

}  // namespace tg::kernels
