// Reductions: sum, mean, max/min (whole, along a dim, amax/amin), argmax/argmin,
// logsumexp, and sum_to (the un-broadcasting of gradients).
#include <cmath>
#include <limits>

#include "kernels/reduce.h"
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

// The reduced dims of a gradient re-inserted (size 1) when keepdim was false, so
// it broadcasts against the input.
Tensor restore_dims(const Tensor& g, IntArrayRef kept_shape) { return g.reshape(kept_shape); }

Tensor sum_impl(const Tensor& x, uint64_t mask, bool keepdim, ScalarType out_dtype) {
  // Reduced dims apart in a contiguous tensor (the bias gradient of a convolution,
  // {0, 2, 3} of [N, C, H, W]) are summed in stages, the last block of them first:
  // each stage reads its input in place, where one plan would copy it permuted.
  if (const kernels::ReducedSpan span = kernels::reduced_span(x, mask);
      span.first >= 0 && !span.block && x.is_contiguous()) {
    uint64_t last_block = 0;
    for (int64_t d = span.last; d >= 0 && ((mask >> d & 1) || x.size(d) == 1); --d) last_block |= (mask >> d & 1) << d;
    return sum_impl(sum_impl(x, last_block, /*keepdim=*/true, out_dtype), mask, keepdim, out_dtype);
  }
  kernels::ReduceLayout L = kernels::plan_reduction(cast(x, out_dtype), mask);
  Tensor out = empty(keepdim ? L.kept_shape : L.out_shape, out_dtype);
  kernels::visit_numeric(out_dtype, "sum", [&](auto tag) {
    using T = decltype(tag);
    kernels::sum<T>(L.input.data_ptr<T>(), out.data_ptr<T>(), L.outer, L.reduce, L.inner);
  });
  return out;
}

ScalarType sum_dtype(const Tensor& x, optional<ScalarType> dtype) {
  if (dtype) return *dtype;
  return is_floating_point(x.dtype()) ? x.dtype() : kLong;
}

int64_t reduced_count(const Tensor& x, uint64_t mask) {
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask >> d & 1) n *= x.size(d);
  return n;
}

Tensor reduce_sum(const Tensor& x, IntArrayRef dims, bool keepdim, optional<ScalarType> dtype, const char* name) {
  const uint64_t mask = core::dims_mask(dims, x.dim(), "sum");
  // A bool sum is a logical or of the values cast to bool (0.5 is true), as libtorch's.
  Tensor out = sum_dtype(x, dtype) == kBool ? ne(sum_impl(ne(x, 0), mask, keepdim, kLong), 0)
                                            : sum_impl(x, mask, keepdim, sum_dtype(x, dtype));
  if (needs_tangent(x)) set_tangent(out, x, [&](const Tensor& t) { return reduce_sum(t, dims, keepdim, dtype, name); });
  if (needs_record(x)) {
    DimVector in_shape(x.sizes());
    DimVector kept(x.sizes());
    for (int64_t d = 0; d < x.dim(); ++d)
      if (mask >> d & 1) kept[d] = 1;
    auto node = make_node(name, [in_shape, kept](Node&, const Tensor& g) -> variable_list {
      return {restore_dims(g, kept).expand(in_shape)};
    }, x);
    set_history(out, node);
  }
  return out;
}

Tensor reduce_mean(const Tensor& x, IntArrayRef dims, bool keepdim, optional<ScalarType> dtype, const char* name) {
  const ScalarType t = dtype ? *dtype : x.dtype();
  TG_CHECK(is_floating_point(t), "mean(): could not infer output dtype. ", dtype ? "Optional" : "Input",
           " dtype must be either a floating point or complex dtype. Got: ", t);
  const uint64_t mask = core::dims_mask(dims, x.dim(), "mean");
  const int64_t n = reduced_count(x, mask);
  Tensor out = sum_impl(x, mask, keepdim, t);
  kernels::visit_floating(t, "mean", [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data_ptr<T>();
    const T count = static_cast<T>(n);
    for (int64_t i = 0; i < out.numel(); ++i) p[i] /= count;
  });
  if (needs_tangent(x)) set_tangent(out, x, [&](const Tensor& t) { return reduce_mean(t, dims, keepdim, dtype, name); });
  if (needs_record(x)) {
    DimVector in_shape(x.sizes());
    DimVector kept(x.sizes());
    for (int64_t d = 0; d < x.dim(); ++d)
      if (mask >> d & 1) kept[d] = 1;
    auto node = make_node(name, [in_shape, kept, n](Node&, const Tensor& g) -> variable_list {
      return {restore_dims(g, kept).expand(in_shape) / static_cast<double>(n)};
    }, x);
    set_history(out, node);
  }
  return out;
}

// Values (and indices) of the extremum over `mask`.
template <bool Max>
std::pair<Tensor, Tensor> extremum_impl(const Tensor& x, uint64_t mask, bool keepdim, bool want_indices) {
  // Indices are wanted over one dim only (argmax() flattens x first), so reading
  // x in memory order (Note [Reducing in memory order]) leaves them as they are.
  kernels::ReduceLayout L = kernels::plan_reduction(x, mask);
  DimVector shape = keepdim ? L.kept_shape : L.out_shape;
  Tensor values = empty(shape, x.dtype());
  Tensor indices = want_indices ? empty(shape, kLong) : Tensor();
  kernels::visit(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::extremum<T, Max>(L.input.data_ptr<T>(), values.data_ptr<T>(),
                              want_indices ? indices.data_ptr<int64_t>() : nullptr, L.outer, L.reduce, L.inner);
  });
  return {values, indices};
}

// libtorch's refusals of an empty reduction: over every dim (no `dims`), a
// RuntimeError (an IndexError without the hint for argmax/argmin); over `dims`,
// an IndexError naming the first of them of size 0 as the caller gave it.
void check_nonempty(const Tensor& x, IntArrayRef dims, const char* op, bool arg_reduction = false) {
  if (x.numel() != 0) return;
  if (dims.empty()) {
    if (arg_reduction)
      throw IndexError(detail::str(op, "(): Expected reduction dim to be specified for input.numel() == 0."));
    throw Error(detail::str(op, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                                "reduction dim with the 'dim' argument."));
  }
  for (int64_t d : dims)
    TG_CHECK_INDEX(x.size(d) != 0, op, "(): Expected reduction dim ", d, " to have non-zero size.");
}

// Gradient of an extremum spread evenly over the elements equal to it. As in
// libtorch, a NaN extremum is equal to the NaN elements for max()/min()
// (`nan_matches`), but to none for amax/amin, whose gradient is then NaN.
template <bool Max>
Tensor amax_impl(const Tensor& x, IntArrayRef dims, bool keepdim, const char* op, const char* name,
                 bool nan_matches = false) {
  const uint64_t mask = core::dims_mask(dims, x.dim(), op);
  check_nonempty(x, dims, op);
  Tensor out = extremum_impl<Max>(x, mask, keepdim, false).first;
  DimVector kept(x.sizes());
  DimVector dims_list;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask >> d & 1) {
      kept[d] = 1;
      dims_list.push_back(d);
    }
  // The mean of the tangents at the elements equal to the extremum (the backward's split).
  if (needs_tangent(x)) set_tangent(out, x, [&](const Tensor& t) {
    Tensor result = restore_dims(out, kept);
    Tensor hit = nan_matches ? (x == result) + (isnan(x) * isnan(result)) : (x == result);
    return (t * hit).sum(dims_list, keepdim) / hit.sum(dims_list, keepdim);
  });
  if (needs_record(x)) {
    auto node = make_node(name, [kept, dims_list, nan_matches](Node& n, const Tensor& g) -> variable_list {
      Tensor xs = n.saved(0), result = restore_dims(n.saved(1), kept);
      Tensor hit = nan_matches ? (xs == result) + (isnan(xs) * isnan(result)) : (xs == result);
      Tensor count = hit.sum(dims_list, true);
      return {restore_dims(g, kept) * hit / count};
    }, x);
    node->save(x, false);
    node->save(out, true);
    set_history(out, node);
  }
  return out;
}

// max(dim) / min(dim): the gradient goes to the selected index only.
template <bool Max>
std::tuple<Tensor, Tensor> extremum_dim(const Tensor& x, int64_t dim, bool keepdim, const char* op, const char* name) {
  const int64_t d = core::wrap_dim(dim, x.dim());
  const uint64_t mask = x.dim() == 0 ? 0 : uint64_t(1) << d;
  check_nonempty(x, {d}, op);
  auto [values, indices] = extremum_impl<Max>(x, mask, keepdim, true);
  if (needs_tangent(x)) set_tangent(values, x, [&](const Tensor& t) {
    if (x.dim() == 0) return t;
    DimVector pos_shape(x.dim(), 1);
    pos_shape[d] = x.size(d);
    Tensor selected = arange(x.size(d)).reshape(pos_shape) == (keepdim ? indices : indices.unsqueeze(d));
    return where(selected, t, 0).sum(d, keepdim);
  });
  if (needs_record(x)) {
    DimVector in_shape(x.sizes());
    auto node = make_node(name, [in_shape, d, keepdim](Node& n, const Tensor& g) -> variable_list {
      if (in_shape.empty()) return {g};
      Tensor idx = n.saved(0);
      Tensor gk = keepdim ? g : g.unsqueeze(d);
      Tensor ik = keepdim ? idx : idx.unsqueeze(d);
      DimVector pos_shape(in_shape.size(), 1);
      pos_shape[d] = in_shape[d];
      Tensor positions = arange(in_shape[d]).reshape(pos_shape);
      return {where(positions == ik, gk, 0).expand(in_shape)};
    }, x);
    node->save(indices, false);
    set_history(values, node);
  }
  return {values, indices};
}

}  // namespace

// ---- sum / mean ---------------------------------------------------------------------------
Tensor sum(const Tensor& a, optional<ScalarType> dtype) { return reduce_sum(a, {}, false, dtype, "SumBackward0"); }
Tensor sum(const Tensor& a, IntArrayRef dim, bool keepdim, optional<ScalarType> dtype) {
  return reduce_sum(a, dim, keepdim, dtype, "SumBackward1");
}
Tensor mean(const Tensor& a, optional<ScalarType> dtype) { return reduce_mean(a, {}, false, dtype, "MeanBackward0"); }
Tensor mean(const Tensor& a, IntArrayRef dim, bool keepdim, optional<ScalarType> dtype) {
  return reduce_mean(a, dim, keepdim, dtype, "MeanBackward1");
}

// ---- max / min ------------------------------------------------------------------------------
Tensor max(const Tensor& a) {
  TG_CHECK(a.numel() > 0, "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                          "reduction dim with the 'dim' argument.");
  return amax_impl<true>(a, {}, false, "max", "MaxBackward1", /*nan_matches=*/true);
}
Tensor min(const Tensor& a) {
  TG_CHECK(a.numel() > 0, "min(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                          "reduction dim with the 'dim' argument.");
  return amax_impl<false>(a, {}, false, "min", "MinBackward1", /*nan_matches=*/true);
}
Tensor amax(const Tensor& a, IntArrayRef dim, bool keepdim) { return amax_impl<true>(a, dim, keepdim, "amax", "AmaxBackward0"); }
Tensor amin(const Tensor& a, IntArrayRef dim, bool keepdim) { return amax_impl<false>(a, dim, keepdim, "amin", "AminBackward0"); }
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) {
  return extremum_dim<true>(a, dim, keepdim, "max", "MaxBackward0");
}
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
  return extremum_dim<false>(a, dim, keepdim, "min", "MinBackward0");
}

namespace {
template <bool Max>
Tensor arg_extremum(const Tensor& a, optional<int64_t> dim, bool keepdim, const char* op) {
  TG_CHECK(a.dtype() != kBool, "\"", op, "_cpu\" not implemented for 'Bool'");
  if (!dim) {
    check_nonempty(a, {}, op, true);
    Tensor flat = a.reshape({-1});
    Tensor idx = extremum_impl<Max>(flat, 1, false, true).second;
    return keepdim ? idx.reshape(DimVector(a.dim(), 1)) : idx;
  }
  const int64_t d = core::wrap_dim(*dim, a.dim());
  const uint64_t mask = a.dim() == 0 ? 0 : uint64_t(1) << d;
  check_nonempty(a, {d}, op);
  return extremum_impl<Max>(a, mask, keepdim, true).second;
}
}  // namespace

Tensor argmax(const Tensor& a, optional<int64_t> dim, bool keepdim) { return arg_extremum<true>(a, dim, keepdim, "argmax"); }
Tensor argmin(const Tensor& a, optional<int64_t> dim, bool keepdim) { return arg_extremum<false>(a, dim, keepdim, "argmin"); }

// ---- logsumexp ------------------------------------------------------------------------------
Tensor logsumexp(const Tensor& a, IntArrayRef dim, bool keepdim) {
  const uint64_t mask = core::dims_mask(dim, a.dim(), "logsumexp");
  Tensor x = is_floating_point(a.dtype()) ? a : cast(a, get_default_dtype());
  Tensor out;
  {
    // Shift by the maximum so exp never overflows (stable for logits of 1e4).
    AutoGradMode no_grad(false);
    Tensor m = a.numel() == 0 ? zeros(kernels::reduced_shapes(x, mask).kept_shape, x.dtype())
                              : extremum_impl<true>(x, mask, true, false).first;
    m = where(isfinite(m), m, 0);
    Tensor s = sum_impl(exp(x - m), mask, true, x.dtype());
    out = log(s) + m;
    if (!keepdim) out = out.reshape(kernels::reduced_shapes(x, mask).out_shape);
  }
  const DimVector kept = kernels::reduced_shapes(x, mask).kept_shape;
  intrusive_ptr<Node> node;
  if (needs_record(a)) {
    node = make_node("LogsumexpBackward0", [kept](Node& n, const Tensor& g) -> variable_list {
      return {restore_dims(g, kept) * exp(n.saved(0) - restore_dims(n.saved(1), kept))};
    }, a);
    node->save(a, false);
    node->save(out, true);
  }
  if (needs_tangent(a)) {
    const Tensor y = output_for_rule(out, node);
    set_tangent(out, a, [&](const Tensor& t) { return (t * exp(a - y.reshape(kept))).sum(dim, keepdim); });
  }
  if (node) set_history(out, node);
  return out;
}

// ---- un-broadcasting ---------------------------------------------------------------------------
namespace ops {

bool is_expandable_to(IntArrayRef shape, IntArrayRef desired) {
  if (shape.size() > desired.size()) return false;
  const size_t off = desired.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != desired[off + i] && shape[i] != 1) return false;
  return true;
}

Tensor sum_to(const Tensor& g, IntArrayRef shape) {
  if (g.sizes().equals(shape)) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  DimVector dims;
  for (int64_t d = 0; d < g.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.size(d) != 1)) dims.push_back(d);
  Tensor r = dims.empty() ? g : g.sum(dims, true);
  return r.reshape(shape);
}

}  // namespace ops
// ---- Tensor methods ----------------------------------------------------------------------------
Tensor Tensor::sum(optional<ScalarType> dtype) const { return tg::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, optional<ScalarType> dtype) const { return tg::sum(*this, dim, keepdim, dtype); }
Tensor Tensor::mean(optional<ScalarType> dtype) const { return tg::mean(*this, dtype); }
Tensor Tensor::mean(IntArrayRef dim, bool keepdim, optional<ScalarType> dtype) const { return tg::mean(*this, dim, keepdim, dtype); }
Tensor Tensor::max() const { return tg::max(*this); }
Tensor Tensor::min() const { return tg::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return tg::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return tg::min(*this, dim, keepdim); }
Tensor Tensor::amax(IntArrayRef dim, bool keepdim) const { return tg::amax(*this, dim, keepdim); }
Tensor Tensor::amin(IntArrayRef dim, bool keepdim) const { return tg::amin(*this, dim, keepdim); }
Tensor Tensor::argmax(optional<int64_t> dim, bool keepdim) const { return tg::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(optional<int64_t> dim, bool keepdim) const { return tg::argmin(*this, dim, keepdim); }
Tensor Tensor::logsumexp(IntArrayRef dim, bool keepdim) const { return tg::logsumexp(*this, dim, keepdim); }

}  // namespace tg
