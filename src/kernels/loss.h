#pragma once
// Kernels of the class-index losses (cross_entropy, nll_loss). The input is
// contiguous and seen as [outer, classes, inner]: each (o, i) pair is one row
// (a sample, or a position of a K-dimensional sample) whose class scores lie
// `inner` elements apart, and target[o * inner + i] is its class.
#include <cstdint>

namespace tg::kernels {

template <class T>
struct ClassRows {
  int64_t outer = 1, classes = 1, inner = 1;
  const int64_t* target = nullptr;
  const T* weight = nullptr;  // one per class, or null for all ones
  int64_t ignore_index = -100;
  int64_t rows() const { return outer * inner; }
};

// The first target that is neither ignore_index nor a class, in row order; the
// returned flag is false when every target is valid.
bool find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index, int64_t& bad);

// The divisor of the mean reduction: the summed class weights of the rows that
// are not ignored (their count without weights).
template <class T>
double total_weight(const ClassRows<T>& r);

// Per row, with logp the row's log_softmax: nll = -w_t * logp_t and, when
// `smooth` is not null, smooth = -sum_c w_c * logp_c; ignored rows get 0.
// row_max and row_log_sum (log sum_c exp(x_c - max)) are kept for the backward,
// which rebuilds softmax(x) from them in the same rounding as the forward.
template <class T>
void cross_entropy_forward(const T* x, const ClassRows<T>& r, T* nll, T* smooth, T* row_max, T* row_log_sum);

// grad = scale * (softmax(x) * a - q) per row, where q is the smoothed one-hot
// target times the class weights, q_c = (1 - eps) w_t [c == t] + (eps / C) w_c,
// and a = sum_c q_c; ignored rows get 0. `scale` holds one value per row, or
// one value for every row when scale_stride is 0.
template <class T>
void cross_entropy_backward(const T* x, const ClassRows<T>& r, T eps, const T* row_max, const T* row_log_sum,
                            const T* scale, int64_t scale_stride, T* grad);

// out = -w_t * x_t per row (0 on ignored rows).
template <class T>
void nll_forward(const T* x, const ClassRows<T>& r, T* out);

// grad = -w_t * scale at each row's target, 0 elsewhere.
template <class T>
void nll_backward(const ClassRows<T>& r, const T* scale, int64_t scale_stride, T* grad);

// q of cross_entropy_backward written out densely as [outer, classes, inner]
// (eps = 0 gives nll_loss's w_t one-hot); used by the differentiable formulas.
template <class T>
void class_target_weights(const ClassRows<T>& r, T eps, T* q);

}  // namespace tg::kernels
