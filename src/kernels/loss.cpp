#include "kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.h"

namespace tg::kernels {
namespace {

// Rows per thread chunk: about kElementwiseGrain elements of work each.
int64_t row_grain(int64_t classes) {
  return std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(classes, 1));
}

template <class T>
T class_weight(const ClassRows<T>& r, int64_t c) {
  return r.weight ? r.weight[c] : T(1);
}

template <class T>
double weight_sum(const ClassRows<T>& r) {
  if (!r.weight) return static_cast<double>(r.classes);
  double s = 0;
  for (int64_t c = 0; c < r.classes; ++c) s += r.weight[c];
  return s;
}

// Calls fn(row, first score of the row, target) for every row, in parallel.
template <class T, class F>
void for_each_row(const ClassRows<T>& r, const F& fn) {
  core::parallel_for(r.rows(), row_grain(r.classes), [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / r.inner, i = k % r.inner;
      fn(k, o * r.classes * r.inner + i, r.target[k]);
    }
  });
}

}  // namespace

bool find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index, int64_t& bad) {
  for (int64_t k = 0; k < n; ++k) {
    const int64_t t = target[k];
    if (t != ignore_index && (t < 0 || t >= classes)) {
      bad = t;
      return true;
    }
  }
  return false;
}

template <class T>
double total_weight(const ClassRows<T>& r) {
  double s = 0;
  for (int64_t k = 0, n = r.rows(); k < n; ++k)
    if (r.target[k] != r.ignore_index) s += class_weight(r, r.target[k]);
  return s;
}

template <class T>
void cross_entropy_forward(const T* x, const ClassRows<T>& r, T* nll, T* smooth, T* row_max, T* row_log_sum) {
  const int64_t C = r.classes, inner = r.inner;
  for_each_row(r, [&](int64_t k, int64_t base, int64_t t) {
    const T* xs = x + base;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t c = 0; c < C; ++c) m = std::max(m, xs[c * inner]);
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += std::exp(xs[c * inner] - m);
    const T ls = static_cast<T>(std::log(s));
    row_max[k] = m;
    row_log_sum[k] = ls;
    if (t == r.ignore_index) {
      nll[k] = 0;
      if (smooth) smooth[k] = 0;
      return;
    }
    // (x - max) - log_sum in this order, as libtorch's log_softmax: adding max
    // and log_sum first would lose the small difference for large logits.
    nll[k] = -((xs[t * inner] - m) - ls) * class_weight(r, t);
    if (smooth) {
      double acc = 0;
      for (int64_t c = 0; c < C; ++c) acc += static_cast<double>(((xs[c * inner] - m) - ls) * class_weight(r, c));
      smooth[k] = static_cast<T>(-acc);
    }
  });
}

template <class T>
void cross_entropy_backward(const T* x, const ClassRows<T>& r, T eps, const T* row_max, const T* row_log_sum,
                            const T* scale, int64_t scale_stride, T* grad) {
  const int64_t C = r.classes, inner = r.inner;
  const T spread = eps / static_cast<T>(C);  // the smoothing mass given to each class
  const T spread_total = static_cast<T>(weight_sum(r)) * spread;
  for_each_row(r, [&](int64_t k, int64_t base, int64_t t) {
    T* gs = grad + base;
    if (t == r.ignore_index) {
      for (int64_t c = 0; c < C; ++c) gs[c * inner] = 0;
      return;
    }
    const T* xs = x + base;
    const T s = scale[k * scale_stride], m = row_max[k], ls = row_log_sum[k];
    const T hit = (T(1) - eps) * class_weight(r, t);
    const T a = hit + spread_total;
    for (int64_t c = 0; c < C; ++c) {
      const T p = std::exp((xs[c * inner] - m) - ls);
      const T q = (c == t ? hit : T(0)) + spread * class_weight(r, c);
      gs[c * inner] = s * (p * a - q);
    }
  });
}

template <class T>
void nll_forward(const T* x, const ClassRows<T>& r, T* out) {
  for_each_row(r, [&](int64_t k, int64_t base, int64_t t) {
    out[k] = t == r.ignore_index ? T(0) : -x[base + t * r.inner] * class_weight(r, t);
  });
}

template <class T>
void nll_backward(const ClassRows<T>& r, const T* scale, int64_t scale_stride, T* grad) {
  for_each_row(r, [&](int64_t k, int64_t base, int64_t t) {
    for (int64_t c = 0; c < r.classes; ++c) grad[base + c * r.inner] = 0;
    if (t != r.ignore_index) grad[base + t * r.inner] = class_weight(r, t) * -scale[k * scale_stride];
  });
}

template <class T>
void class_target_weights(const ClassRows<T>& r, T eps, T* q) {
  const T spread = eps / static_cast<T>(r.classes);
  for_each_row(r, [&](int64_t, int64_t base, int64_t t) {
    const bool ignored = t == r.ignore_index;
    for (int64_t c = 0; c < r.classes; ++c)
      q[base + c * r.inner] =
          ignored ? T(0) : (c == t ? (T(1) - eps) * class_weight(r, t) : T(0)) + spread * class_weight(r, c);
  });
}

#define TG_INSTANTIATE_LOSS(T)                                                                                     \
  template double total_weight<T>(const ClassRows<T>&);                                                            \
  template void cross_entropy_forward<T>(const T*, const ClassRows<T>&, T*, T*, T*, T*);                           \
  template void cross_entropy_backward<T>(const T*, const ClassRows<T>&, T, const T*, const T*, const T*, int64_t, \
                                          T*);                                                                     \
  template void nll_forward<T>(const T*, const ClassRows<T>&, T*);                                                 \
  template void nll_backward<T>(const ClassRows<T>&, const T*, int64_t, T*);                                       \
  template void class_target_weights<T>(const ClassRows<T>&, T, T*);
TG_INSTANTIATE_LOSS(float)
TG_INSTANTIATE_LOSS(double)
#undef TG_INSTANTIATE_LOSS

}  // namespace tg::kernels
