#include "kernels/softmax.h"

#include <cmath>
#include <limits>

#include "core/parallel.h"

namespace tg::kernels {

template <class T, bool Log>
void softmax(const T* in, T* out, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t rows = outer * inner;
  core::parallel_for(rows, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(dim, 1)),
                     [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / inner, i = k % inner;
      const T* x = in + o * dim * inner + i;
      T* y = out + o * dim * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t d = 0; d < dim; ++d) m = std::max(m, x[d * inner]);
      if (std::isinf(m) && m < 0) m = 0;  // all -inf: keep exp(x - m) = 0 without NaN
      if (std::isnan(m)) {
        for (int64_t d = 0; d < dim; ++d) y[d * inner] = m;
        continue;
      }
      T s = 0;
      if constexpr (Log) {
        for (int64_t d = 0; d < dim; ++d) s += std::exp(x[d * inner] - m);
        // (x - m) - log(s), not x - (m + log(s)): m + log(s) rounds to m's ulp,
        // which for large logits (1e4 in float32) is 1e-3.
        const T log_s = std::log(s);
        for (int64_t d = 0; d < dim; ++d) y[d * inner] = (x[d * inner] - m) - log_s;
      } else {
        for (int64_t d = 0; d < dim; ++d) {
          T v = std::exp(x[d * inner] - m);
          y[d * inner] = v;
          s += v;
        }
        const T inv = T(1) / s;
        for (int64_t d = 0; d < dim; ++d) y[d * inner] *= inv;
      }
    }
  });
}

template <class T, bool Log>
void softmax_backward(const T* grad, const T* y, T* out, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t rows = outer * inner;
  core::parallel_for(rows, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(dim, 1)),
                     [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / inner, i = k % inner;
      const int64_t base = o * dim * inner + i;
      T s = 0;
      if constexpr (Log) {
        for (int64_t d = 0; d < dim; ++d) s += grad[base + d * inner];
        for (int64_t d = 0; d < dim; ++d)
          out[base + d * inner] = grad[base + d * inner] - std::exp(y[base + d * inner]) * s;
      } else {
        for (int64_t d = 0; d < dim; ++d) s += grad[base + d * inner] * y[base + d * inner];
        for (int64_t d = 0; d < dim; ++d) out[base + d * inner] = y[base + d * inner] * (grad[base + d * inner] - s);
      }
    }
  });
}

template void softmax<float, false>(const float*, float*, int64_t, int64_t, int64_t);
template void softmax<float, true>(const float*, float*, int64_t, int64_t, int64_t);
template void softmax<double, false>(const double*, double*, int64_t, int64_t, int64_t);
template void softmax<double, true>(const double*, double*, int64_t, int64_t, int64_t);
template void softmax_backward<float, false>(const float*, const float*, float*, int64_t, int64_t, int64_t);
template void softmax_backward<float, true>(const float*, const float*, float*, int64_t, int64_t, int64_t);
template void softmax_backward<double, false>(const double*, const double*, double*, int64_t, int64_t, int64_t);
template void softmax_backward<double, true>(const double*, const double*, double*, int64_t, int64_t, int64_t);

}  // namespace tg::kernels
