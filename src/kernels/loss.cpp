#include "kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "kernels/vec_exp.h"

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

// Independent accumulators, so that reductions over a row vectorise.
template <class T>
constexpr int64_t kLanes = 64 / sizeof(T);

// sum_{c < n} f(c), accumulated in kLanes partial sums.
template <class T, class F>
double lane_sum(int64_t n, const F& f) {
  T acc[kLanes<T>] = {};
  int64_t c = 0;
  for (; c + kLanes<T> <= n; c += kLanes<T>)
    for (int64_t j = 0; j < kLanes<T>; ++j) acc[j] += f(c + j);
  double s = 0;
  for (; c < n; ++c) s += f(c);
  for (int64_t j = 0; j < kLanes<T>; ++j) s += acc[j];
  return s;
}

// The largest of x[0..n); -inf for an empty row. A NaN need not win: it reaches
// the loss through exp(x - max) anyway.
template <class T>
T max_of(const T* x, int64_t n) {
  T acc[kLanes<T>];
  std::fill(acc, acc + kLanes<T>, -std::numeric_limits<T>::infinity());
  int64_t c = 0;
  for (; c + kLanes<T> <= n; c += kLanes<T>)
    for (int64_t j = 0; j < kLanes<T>; ++j) acc[j] = x[c + j] > acc[j] ? x[c + j] : acc[j];
  T m = -std::numeric_limits<T>::infinity();
  for (; c < n; ++c) m = x[c] > m ? x[c] : m;
  for (int64_t j = 0; j < kLanes<T>; ++j) m = acc[j] > m ? acc[j] : m;
  return m;
}

// Calls fn(row, scores, target) with each row's scores contiguous: in place when
// inner == 1, else gathered into a per-thread buffer.
template <class T, class F>
void for_each_row_contiguous(const ClassRows<T>& r, const T* x, const F& fn) {
  const int64_t C = r.classes, inner = r.inner;
  core::parallel_for(r.rows(), row_grain(C), [&](int64_t b, int64_t e) {
    std::vector<T> buffer(inner == 1 ? 0 : static_cast<size_t>(C));
    for (int64_t k = b; k < e; ++k) {
      const T* xs = x + (k / inner) * C * inner + k % inner;
      if (inner != 1) {
        for (int64_t c = 0; c < C; ++c) buffer[static_cast<size_t>(c)] = xs[c * inner];
        xs = buffer.data();
      }
      fn(k, xs, r.target[k]);
    }
  });
}

// The same with an output row: fn(row, scores, out, target) writes out[0..C),
// scattered back to `out` when inner > 1.
template <class T, class F>
void for_each_row_contiguous(const ClassRows<T>& r, const T* x, T* out, const F& fn) {
  const int64_t C = r.classes, inner = r.inner;
  core::parallel_for(r.rows(), row_grain(C), [&](int64_t b, int64_t e) {
    std::vector<T> buffer(inner == 1 ? 0 : static_cast<size_t>(2 * C));
    for (int64_t k = b; k < e; ++k) {
      const int64_t base = (k / inner) * C * inner + k % inner;
      if (inner == 1) {
        fn(k, x + base, out + base, r.target[k]);
        continue;
      }
      T* xs = buffer.data();
      T* os = xs + C;
      for (int64_t c = 0; c < C; ++c) xs[c] = x[base + c * inner];
      fn(k, xs, os, r.target[k]);
      for (int64_t c = 0; c < C; ++c) out[base + c * inner] = os[c];
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
  const int64_t C = r.classes;
  for_each_row_contiguous(r, x, [&](int64_t k, const T* xs, int64_t t) {
    const T m = max_of(xs, C);
    const T ls = static_cast<T>(std::log(lane_sum<T>(C, [xs, m](int64_t c) { return vec_exp(xs[c] - m); })));
    row_max[k] = m;
    row_log_sum[k] = ls;
    if (t == r.ignore_index) {
      nll[k] = 0;
      if (smooth) smooth[k] = 0;
      return;
    }
    // (x - max) - log_sum in this order, as libtorch's log_softmax: adding max
    // and log_sum first would lose the small difference for large logits.
    nll[k] = -((xs[t] - m) - ls) * class_weight(r, t);
    if (smooth) {
      const T* w = r.weight;
      smooth[k] = static_cast<T>(-(w ? lane_sum<T>(C, [xs, w, m, ls](int64_t c) { return ((xs[c] - m) - ls) * w[c]; })
                                     : lane_sum<T>(C, [xs, m, ls](int64_t c) { return (xs[c] - m) - ls; })));
    }
  });
}

template <class T>
void cross_entropy_backward(const T* x, const ClassRows<T>& r, T eps, const T* row_max, const T* row_log_sum,
                            const T* scale, int64_t scale_stride, T* grad) {
  const int64_t C = r.classes;
  const T spread = eps / static_cast<T>(C);  // the smoothing mass given to each class
  const T spread_total = static_cast<T>(weight_sum(r)) * spread;
  const T* w = r.weight;
  for_each_row_contiguous(r, x, grad, [&](int64_t k, const T* xs, T* gs, int64_t t) {
    if (t == r.ignore_index) {
      std::fill(gs, gs + C, T(0));
      return;
    }
    const T s = scale[k * scale_stride], m = row_max[k], ls = row_log_sum[k];
    const T hit = (T(1) - eps) * class_weight(r, t);
    const T a = hit + spread_total;
    if (w) {
      for (int64_t c = 0; c < C; ++c) gs[c] = s * (vec_exp((xs[c] - m) - ls) * a - spread * w[c]);
    } else {
      for (int64_t c = 0; c < C; ++c) gs[c] = s * (vec_exp((xs[c] - m) - ls) * a - spread);
    }
    gs[t] = s * (vec_exp((xs[t] - m) - ls) * a - (hit + spread * class_weight(r, t)));
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
