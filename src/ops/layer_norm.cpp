// F::layer_norm: normalises each row (the trailing normalized_shape dims) to zero
// mean and unit biased variance, then scales and shifts. NativeLayerNormBackward0
// runs a fused row kernel when no higher-order graph is requested, and otherwise
// recomputes the statistics from the saved input with differentiable ops.
#include <cmath>

#include "core/parallel.h"
#include "kernels/reduce.h"
#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg {
namespace {
using namespace ops;

// Σ term(j) for j < n in double, over 16 independent accumulators (so the loop
// vectorises) combined pairwise: a fixed order, so results do not depend on
// threads, and the variance of a row with a large mean stays exact to float rounding.
template <class F>
double row_sum(int64_t n, const F& term) {
  constexpr int64_t kLanes = 16;
  double acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int64_t k = 0; k < kLanes; ++k) acc[k] += static_cast<double>(term(j + k));
  double tail = 0;
  for (; j < n; ++j) tail += static_cast<double>(term(j));
  for (int64_t w = kLanes / 2; w > 0; w /= 2)
    for (int64_t k = 0; k < w; ++k) acc[k] += acc[k + w];
  return acc[0] + tail;
}

template <class F>
void for_rows(int64_t M, int64_t N, const F& fn) {
  core::parallel_for(M, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(N, 1)),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t r = begin; r < end; ++r) fn(r);
                     });
}

template <class T>
void layer_norm_rows(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t M, int64_t N, double eps) {
  for_rows(M, N, [&](int64_t r) {
    const T* xr = x + r * N;
    const double mu = row_sum(N, [xr](int64_t j) { return xr[j]; }) / static_cast<double>(N);
    const double var = row_sum(N, [xr, mu](int64_t j) {
      const double d = xr[j] - mu;
      return d * d;
    }) / static_cast<double>(N);
    const T m = static_cast<T>(mu), rs = static_cast<T>(1.0 / std::sqrt(var + eps));
    mean[r] = m;
    rstd[r] = rs;
    T* yr = y + r * N;
    if (w && b) {
      for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * rs * w[j] + b[j];
    } else if (w) {
      for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * rs * w[j];
    } else if (b) {
      for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * rs + b[j];
    } else {
      for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * rs;
    }
  });
}

// gx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)) for one row, gy = g * w.
template <bool HasWeight, class T>
void layer_norm_input_grad(const T* gr, const T* xr, const T* w, T m, T rs, T* o, int64_t N) {
  auto gy = [=](int64_t j) {
    if constexpr (HasWeight) return gr[j] * w[j];
    else return gr[j];
  };
  const T a = static_cast<T>(row_sum(N, gy) / static_cast<double>(N));
  const T c = static_cast<T>(row_sum(N, [&](int64_t j) { return gy(j) * ((xr[j] - m) * rs); }) /
                             static_cast<double>(N));
  for (int64_t j = 0; j < N; ++j) o[j] = rs * (gy(j) - a - ((xr[j] - m) * rs) * c);
}

// The input gradient (when gx is non-null) and the per-row terms of the weight
// gradient, g * xhat (when g_xhat is non-null; summed over rows after).
template <class T>
void layer_norm_backward_rows(const T* g, const T* x, const T* w, const T* mean, const T* rstd, T* gx, T* g_xhat,
                              int64_t M, int64_t N) {
  for_rows(M, N, [&](int64_t r) {
    const T* gr = g + r * N;
    const T* xr = x + r * N;
    const T m = mean[r], rs = rstd[r];
    if (g_xhat)
      for (int64_t j = 0; j < N; ++j) g_xhat[r * N + j] = gr[j] * ((xr[j] - m) * rs);
    if (!gx) return;
    if (w) layer_norm_input_grad<true>(gr, xr, w, m, rs, gx + r * N, N);
    else layer_norm_input_grad<false>(gr, xr, w, m, rs, gx + r * N, N);
  });
}

struct LayerNormShape {
  int64_t rows = 1, cols = 1;
  DimVector norm_dims;  // the normalised (trailing) dims
  DimVector lead_dims;  // the others
};

LayerNormShape check_layer_norm(const Tensor& input, const nn::functional::LayerNormFuncOptions& o) {
  const std::vector<int64_t>& shape = o.normalized_shape();
  const IntArrayRef norm(shape);
  const Tensor& w = o.weight();
  const Tensor& b = o.bias();
  TG_CHECK(!shape.empty(), "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = ", norm);
  TG_CHECK(!w.defined() || w.sizes() == shape, "Expected weight to be of same shape as normalized_shape, but got "
           "weight of shape ", w.sizes(), " and normalized_shape = ", norm);
  TG_CHECK(!b.defined() || b.sizes() == shape, "Expected bias to be of same shape as normalized_shape, but got "
           "bias of shape ", b.sizes(), " and normalized_shape = ", norm);
  const int64_t nd = input.dim(), k = static_cast<int64_t>(shape.size());
  if (nd < k || input.sizes().slice(nd - k) != shape) {
    std::string expected = "[*";
    for (int64_t s : shape) expected += ", " + std::to_string(s);
    TG_CHECK(false, "Given normalized_shape=", norm, ", expected input with shape ", expected,
             "], but got input of size", input.sizes());
  }
  for (const Tensor* t : {&w, &b})
    TG_CHECK(!t->defined() || t->dtype() == input.dtype(), "expected scalar type ", input.dtype(), " but found ",
             t->dtype());
  TG_CHECK(is_floating_point(input.dtype()), "\"LayerNormKernelImpl\" not implemented for '", input.dtype(),
           "'");
  LayerNormShape s;
  for (int64_t d = 0; d < nd; ++d) {
    if (d < nd - k) {
      s.rows *= input.size(d);
      s.lead_dims.push_back(d);
    } else {
      s.cols *= input.size(d);
      s.norm_dims.push_back(d);
    }
  }
  return s;
}

// Sums t over the leading dims (t itself when there are none).
Tensor sum_lead(const Tensor& t, const DimVector& lead) { return lead.empty() ? t : t.sum(lead); }

// The backward as differentiable ops: with create_graph, second derivatives flow
// through the statistics, which are recomputed here from the input.
variable_list layer_norm_backward_graph(Node& n, const Tensor& g, const LayerNormShape& s, double eps) {
  const Tensor x = n.saved(0), w = n.saved(1);
  const Tensor xc = x - x.mean(s.norm_dims, true);
  const Tensor rstd = ((xc * xc).mean(s.norm_dims, true) + eps).rsqrt();
  const Tensor xhat = xc * rstd;
  Tensor gx, gw, gb;
  if (n.needs_input_grad(0)) {
    const Tensor gy = w.defined() ? g * w : g;
    gx = rstd * (gy - gy.mean(s.norm_dims, true) - xhat * (gy * xhat).mean(s.norm_dims, true));
  }
  if (n.needs_input_grad(1)) gw = sum_lead(g * xhat, s.lead_dims);
  if (n.needs_input_grad(2)) gb = sum_lead(g, s.lead_dims);
  return {gx, gw, gb};
}

variable_list layer_norm_backward_fused(Node& n, const Tensor& grad, const LayerNormShape& s) {
  const Tensor g = contiguous_raw(grad);
  const Tensor x = contiguous_raw(n.saved(0));
  const Tensor w = n.saved(1).defined() ? contiguous_raw(n.saved(1)) : Tensor();
  const Tensor mean = n.saved(2), rstd = n.saved(3);
  const bool need_x = n.needs_input_grad(0), need_w = n.needs_input_grad(1);
  Tensor gx = need_x ? empty(x.sizes(), x.dtype()) : Tensor();
  Tensor g_xhat = need_w ? empty({s.rows, s.cols}, x.dtype()) : Tensor();
  Tensor gw = need_w ? empty(w.sizes(), x.dtype()) : Tensor();
  kernels::visit_floating(x.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    layer_norm_backward_rows<T>(g.data_ptr<T>(), x.data_ptr<T>(), w.defined() ? w.data_ptr<T>() : nullptr,
                                mean.data_ptr<T>(), rstd.data_ptr<T>(), need_x ? gx.data_ptr<T>() : nullptr,
                                need_w ? g_xhat.data_ptr<T>() : nullptr, s.rows, s.cols);
    if (need_w) kernels::sum<T>(g_xhat.data_ptr<T>(), gw.data_ptr<T>(), 1, s.rows, s.cols);
  });
  return {gx, gw, n.needs_input_grad(2) ? sum_lead(grad, s.lead_dims) : Tensor()};
}

}  // namespace

namespace nn::functional {

Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
  const LayerNormShape s = check_layer_norm(input, options);
  const Tensor& weight = options.weight();
  const Tensor& bias = options.bias();
  const double eps = options.eps();
  const Tensor x = contiguous_raw(input);
  const Tensor w = weight.defined() ? contiguous_raw(weight) : Tensor();
  const Tensor b = bias.defined() ? contiguous_raw(bias) : Tensor();
  Tensor out = empty(input.sizes(), input.dtype());
  Tensor mean = empty({s.rows}, input.dtype()), rstd = empty({s.rows}, input.dtype());
  kernels::visit_floating(input.dtype(), "LayerNormKernelImpl", [&](auto tag) {
    using T = decltype(tag);
    layer_norm_rows<T>(x.data_ptr<T>(), w.defined() ? w.data_ptr<T>() : nullptr,
                       b.defined() ? b.data_ptr<T>() : nullptr, out.data_ptr<T>(), mean.data_ptr<T>(),
                       rstd.data_ptr<T>(), s.rows, s.cols, eps);
  });
  if (needs_record(input, weight, bias)) {
    auto node = make_node("NativeLayerNormBackward0", [s, eps](Node& n, const Tensor& g) -> variable_list {
      return GradMode::is_enabled() ? layer_norm_backward_graph(n, g, s, eps) : layer_norm_backward_fused(n, g, s);
    }, input, weight, bias);
    node->save(input, false);
    node->save(weight, false);
    node->save(mean, false);
    node->save(rstd, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace nn::functional
}  // namespace tg
