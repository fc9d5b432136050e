#include "kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "kernels/vec_math.h"

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

// Note [Rows side by side]: with few classes (a 10-class classifier), a row is
// shorter than a vector, and its max, exp-sum and log ran one element at a time:
// 60 ns per row of 10, a cross-entropy on [512, 10] took 31 us. Rows with at most
// kMaxSideBySideClasses classes are instead taken kBlockRows at a time, their
// scores transposed into a [classes][kBlockRows] block, and the work done across
// the block's lanes. Every row goes through the same lane code (a last, partial
// block is padded with zero rows), so a row's bits do not depend on which thread
// chunk it falls in. Longer rows are vectorised along their classes.
constexpr int64_t kBlockRows = 16;
constexpr int64_t kMaxSideBySideClasses = 64;

// A block of up to kBlockRows rows starting at row k0: the scores side by side,
// scores[c * kBlockRows + j] for class c of row k0 + j, each row's target
// (ignore_index on padding lanes) and where the row starts.
template <class T>
struct RowBlock {
  int64_t k0 = 0, count = 0;
  int64_t base[kBlockRows] = {};
  int64_t target[kBlockRows] = {};
  T scores[kMaxSideBySideClasses * kBlockRows];
  T score(int64_t c, int64_t j) const { return scores[c * kBlockRows + j]; }
  bool ignored(const ClassRows<T>& r, int64_t j) const { return target[j] == r.ignore_index; }
};

// Calls fn(block) for every block of rows, in parallel; when out is not null, the
// scores fn leaves in the block are then scattered to it.
template <class T, class F>
void for_each_row_block(const ClassRows<T>& r, const T* x, T* out, const F& fn) {
  const int64_t C = r.classes, inner = r.inner, blocks = (r.rows() + kBlockRows - 1) / kBlockRows;
  core::parallel_for(blocks, std::max<int64_t>(1, row_grain(C) / kBlockRows), [&](int64_t b, int64_t e) {
    RowBlock<T> block;
    for (int64_t blk = b; blk < e; ++blk) {
      block.k0 = blk * kBlockRows;
      block.count = std::min(kBlockRows, r.rows() - block.k0);
      for (int64_t j = 0; j < kBlockRows; ++j) {
        const int64_t k = block.k0 + std::min(j, block.count - 1);
        block.base[j] = (k / inner) * C * inner + k % inner;
        block.target[j] = j < block.count ? r.target[k] : r.ignore_index;
      }
      // Row by row, so that each row's scores are read (and written) in one run.
      std::fill(block.scores, block.scores + C * kBlockRows, T(0));
      for (int64_t j = 0; j < block.count; ++j)
        for (int64_t c = 0; c < C; ++c) block.scores[c * kBlockRows + j] = x[block.base[j] + c * inner];
      fn(block);
      if (!out) continue;
      for (int64_t j = 0; j < block.count; ++j)
        for (int64_t c = 0; c < C; ++c) out[block.base[j] + c * inner] = block.score(c, j);
    }
  });
}

// Each lane's max and log sum_c exp(x_c - max), summed in double in class order.
template <class T>
void block_log_sum_exp(const RowBlock<T>& block, int64_t C, T* max, T* log_sum) {
  T m[kBlockRows];
  double sum[kBlockRows] = {};
  std::fill(m, m + kBlockRows, -std::numeric_limits<T>::infinity());
  for (int64_t c = 0; c < C; ++c) {
    const T* lane = block.scores + c * kBlockRows;
#pragma omp simd
    for (int64_t j = 0; j < kBlockRows; ++j) m[j] = lane[j] > m[j] ? lane[j] : m[j];
  }
  for (int64_t c = 0; c < C; ++c) {
    const T* lane = block.scores + c * kBlockRows;
    // exp into its own array first: converting its result to double straight away
    // put a branch in the loop (a conversion may not be made speculatively), and the
    // loop did not vectorise.
    T e[kBlockRows];
#pragma omp simd
    for (int64_t j = 0; j < kBlockRows; ++j) e[j] = vec_exp(lane[j] - m[j]);
#pragma omp simd
    for (int64_t j = 0; j < kBlockRows; ++j) sum[j] += static_cast<double>(e[j]);
  }
#pragma omp simd
  for (int64_t j = 0; j < kBlockRows; ++j) {
    max[j] = m[j];
    log_sum[j] = static_cast<T>(vec_log(sum[j]));
  }
}

// A row's label-smoothing term -sum_c w_c logp_c (0 when ignored), with logp_c =
// (x_c - max) - log_sum in this order, as libtorch's log_softmax and the nll
// terms: adding max and log_sum first would lose the small difference for large
// logits.
template <class T, class Scores>
T smoothing_loss(const ClassRows<T>& r, int64_t t, const Scores& x, T m, T ls) {
  if (t == r.ignore_index) return 0;
  const T* w = r.weight;
  return static_cast<T>(-(w ? lane_sum<T>(r.classes, [&](int64_t c) { return ((x(c) - m) - ls) * w[c]; })
                            : lane_sum<T>(r.classes, [&](int64_t c) { return (x(c) - m) - ls; })));
}

template <class T>
void cross_entropy_forward(const T* x, const ClassRows<T>& r, T* nll, T* smooth, T* row_max, T* row_log_sum) {
  const int64_t C = r.classes;
  if (C <= kMaxSideBySideClasses) {
    for_each_row_block(r, x, static_cast<T*>(nullptr), [&](const RowBlock<T>& block) {
      T m[kBlockRows], ls[kBlockRows], xt[kBlockRows] = {}, wt[kBlockRows], loss[kBlockRows];
      block_log_sum_exp(block, C, m, ls);
      for (int64_t c = 0; c < C; ++c) {
        const T* lane = block.scores + c * kBlockRows;
#pragma omp simd
        for (int64_t j = 0; j < kBlockRows; ++j) xt[j] = block.target[j] == c ? lane[j] : xt[j];
      }
      for (int64_t j = 0; j < kBlockRows; ++j) wt[j] = block.ignored(r, j) ? T(0) : class_weight(r, block.target[j]);
#pragma omp simd
      for (int64_t j = 0; j < kBlockRows; ++j) loss[j] = block.ignored(r, j) ? T(0) : -((xt[j] - m[j]) - ls[j]) * wt[j];
      std::copy(m, m + block.count, row_max + block.k0);
      std::copy(ls, ls + block.count, row_log_sum + block.k0);
      std::copy(loss, loss + block.count, nll + block.k0);
      if (!smooth) return;
      for (int64_t j = 0; j < block.count; ++j) {
        const auto score = [&](int64_t c) { return block.score(c, j); };
        smooth[block.k0 + j] = smoothing_loss(r, block.target[j], score, m[j], ls[j]);
      }
    });
    return;
  }
  for_each_row_contiguous(r, x, [&](int64_t k, const T* xs, int64_t t) {
    const T m = max_of(xs, C);
    const T ls = static_cast<T>(vec_log(lane_sum<T>(C, [xs, m](int64_t c) { return vec_exp(xs[c] - m); })));
    row_max[k] = m;
    row_log_sum[k] = ls;
    nll[k] = t == r.ignore_index ? T(0) : -((xs[t] - m) - ls) * class_weight(r, t);
    if (smooth) smooth[k] = smoothing_loss(r, t, [xs](int64_t c) { return xs[c]; }, m, ls);
  });
}

template <class T>
void cross_entropy_backward(const T* x, const ClassRows<T>& r, T eps, const T* row_max, const T* row_log_sum,
                            const T* scale, int64_t scale_stride, T* grad) {
  const int64_t C = r.classes;
  const T spread = eps / static_cast<T>(C);  // the smoothing mass given to each class
  const T spread_total = static_cast<T>(weight_sum(r)) * spread;
  const T* w = r.weight;
  if (C <= kMaxSideBySideClasses) {
    for_each_row_block(r, x, grad, [&](RowBlock<T>& block) {
      // Per lane: scale, max, log_sum, the target's weight share `hit` and a.
      T s[kBlockRows], m[kBlockRows], ls[kBlockRows], hit[kBlockRows], a[kBlockRows];
      for (int64_t j = 0; j < kBlockRows; ++j) {
        const int64_t k = block.k0 + std::min(j, block.count - 1);
        s[j] = scale[k * scale_stride];
        m[j] = row_max[k];
        ls[j] = row_log_sum[k];
        hit[j] = block.ignored(r, j) ? T(0) : (T(1) - eps) * class_weight(r, block.target[j]);
        a[j] = hit[j] + spread_total;
      }
      // The exp and the selects in loops of their own: in one loop with them, the
      // exp did not vectorise (control flow), and [128, 10] took 11 us, 4x the forward.
      T keep[kBlockRows];
      for (int64_t j = 0; j < kBlockRows; ++j) keep[j] = block.ignored(r, j) ? T(0) : T(1);
      for (int64_t c = 0; c < C; ++c) {
        T* lane = block.scores + c * kBlockRows;
        const T q = w ? spread * w[c] : spread;
        T e[kBlockRows], subtrahend[kBlockRows];
#pragma omp simd
        for (int64_t j = 0; j < kBlockRows; ++j) e[j] = vec_exp((lane[j] - m[j]) - ls[j]);
        for (int64_t j = 0; j < kBlockRows; ++j) subtrahend[j] = block.target[j] == c ? hit[j] + q : q;
#pragma omp simd
        for (int64_t j = 0; j < kBlockRows; ++j)
          lane[j] = keep[j] == T(0) ? T(0) : s[j] * (e[j] * a[j] - subtrahend[j]);
      }
    });
    return;
  }
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
