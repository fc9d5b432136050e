#pragma once
// Everything an op implementation file needs: recording nodes, shape and dtype
// rules, kernels, and the elementwise building blocks below.
#include "autograd/forward_ad_internal.h"
#include "autograd/messages.h"
#include "autograd/op_node.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "kernels/dispatch.h"
#include "kernels/elementwise.h"
#include "ops/ops_internal.h"

namespace tg::ops {

using autograd::make_node;
using autograd::needs_record;
using autograd::set_history;
// Forward-mode AD: an op's tangent rule sits beside its backward (forward_ad_internal.h).
using autograd::forward_ad::needs_tangent;
using autograd::forward_ad::output_for_rule;
using autograd::forward_ad::set_tangent;
using autograd::forward_ad::set_tangent_from;
using autograd::forward_ad::set_view_tangent;
using autograd::forward_ad::tangent_of;

// t when the backward will need it, else an undefined tensor (saves memory).
inline Tensor save_if(bool needed, const Tensor& t) { return needed ? t : Tensor(); }

// Whether the elementwise loop writing `out` would read t across its rows: t is
// contiguous along out's second-fastest dim but not along its fastest (x.t() + y,
// whose result is contiguous like y: Note [Elementwise output layout]). Read row
// by row, every element is on a new cache line: exp(x.t()) of 1024 x 1024 floats
// into a contiguous out took 3.4 ms. Copied first in blocks into out's layout
// (Note [Tiled transposes]), then read in order: 0.97 ms. Small tensors are read
// in place.
inline bool read_across_rows(const Tensor& t, const Tensor& out) {
  constexpr int64_t kMinimumCopied = 4096;
  const int64_t nd = t.dim();
  if (nd < 2 || t.numel() < kMinimumCopied || (t.is_contiguous() && out.is_contiguous())) return false;
  // A broadcast t (another shape) is judged by its own last two dims.
  if (!t.sizes().equals(out.sizes()))
    return out.is_contiguous() && t.stride(nd - 2) == 1 && t.stride(nd - 1) != 1 && t.size(nd - 1) > 1 &&
           t.size(nd - 2) > 1;
  // out's fastest and second-fastest dims of size > 1.
  int64_t fastest = -1, second = -1;
  for (int64_t d = nd - 1; d >= 0; --d) {
    if (out.size(d) == 1) continue;
    if (fastest < 0 || out.stride(d) < out.stride(fastest)) {
      second = fastest;
      fastest = d;
    } else if (second < 0 || out.stride(d) < out.stride(second)) {
      second = d;
    }
  }
  return second >= 0 && t.stride(second) == 1 && t.stride(fastest) != 1;
}

// t as an elementwise loop's input: t itself when already of dtype (no
// reference-count traffic: per-op overhead on tiny tensors), else a copy in
// dtype that `holder` keeps alive; also a copy, in out's layout, when the loop
// would read t across its rows.
inline const Tensor& as_loop_input(const Tensor& t, ScalarType dtype, const Tensor& out, Tensor& holder) {
  const bool across_rows = read_across_rows(t, out);
  if (t.dtype() == dtype && !across_rows) return t;
  if (across_rows) {
    holder = t.sizes().equals(out.sizes()) ? empty_elementwise(out.sizes(), dtype, {&out}) : empty(t.sizes(), dtype);
    copy_raw(holder, t);
  } else {
    holder = cast(t, dtype);
  }
  return holder;
}

// A new tensor of the broadcast shape of a and b (no broadcasting work when they
// match), laid out as Note [Elementwise output layout].
inline Tensor empty_broadcast(const Tensor& a, const Tensor& b, ScalarType dtype) {
  if (a.sizes() == b.sizes()) return empty_elementwise(a.sizes(), dtype, {&a, &b});
  return empty_elementwise(core::broadcast_shapes(a.sizes(), b.sizes()), dtype, {&a, &b});
}

// out = op(a, b) elementwise with broadcasting, computed in `compute`; the
// result has dtype `compute`, or kBool when BoolOut (comparisons). op is a generic
// lambda called with two values of the compute type.
template <bool BoolOut = false, class Op>
Tensor binary_map(const Tensor& a, const Tensor& b, ScalarType compute, const Op& op) {
  Tensor out = empty_broadcast(a, b, BoolOut ? kBool : compute);
  Tensor a_holder, b_holder;
  const Tensor& ac = as_loop_input(a, compute, out, a_holder);
  const Tensor& bc = as_loop_input(b, compute, out, b_holder);
  kernels::visit(compute, [&](auto tag) {
    using T = decltype(tag);
    using O = std::conditional_t<BoolOut, bool, T>;
    kernels::map<O, T, T>(out, [&op](T x, T y) { return static_cast<O>(op(x, y)); }, ac, bc);
  });
  return out;
}

// A number operand (x + 1e39) in the op's type, as libtorch's wrapped numbers:
// converted like a tensor, unchecked (inf), where Scalar::to<float> raises.
template <class T>
T wrapped_number(const Scalar& s) {
  if constexpr (std::is_same_v<T, float>) return static_cast<float>(s.toDouble());
  else return s.to<T>();
}

// out = op(a, s) with a scalar operand, which the loop keeps in a register.
template <bool BoolOut = false, class Op>
Tensor scalar_map(const Tensor& a, const Scalar& s, ScalarType compute, const Op& op) {
  Tensor out = empty_elementwise(a.sizes(), BoolOut ? kBool : compute, {&a});
  Tensor holder;
  const Tensor& ac = as_loop_input(a, compute, out, holder);
  kernels::visit(compute, [&](auto tag) {
    using T = decltype(tag);
    using O = std::conditional_t<BoolOut, bool, T>;
    const T v = wrapped_number<T>(s);
    kernels::map<O, T>(out, [&op, v](T x) { return static_cast<O>(op(x, v)); }, ac);
  });
  return out;
}

// Whether a backward formula may write its result over the incoming gradient g
// (Note [Reusing gradient buffers]): nothing else can see g — the engine's buffer
// alone holds it, no view shares its storage, it carries no graph — and it has
// the layout and dtype of the result, computed elementwise with `other` (both
// contiguous, or both dense with the same strides: Note [Elementwise output
// layout]).
inline bool is_reusable_gradient(const Tensor& g, const Tensor& other) {
  return g.use_count() == 1 && g.unsafeGetTensorImpl()->storage.use_count() == 1 && !autograd::requires_grad(g) &&
         g.is_floating_point() && g.dtype() == other.dtype() && g.sizes().equals(other.sizes()) &&
         ((g.is_contiguous() && other.is_contiguous()) ||
          (g.strides().equals(other.strides()) && is_non_overlapping_and_dense(g)));
}

// binary_map restricted to floating types, for the fused backward formulas:
// a is the incoming gradient, written over when it is reusable.
//
// Note [Reusing gradient buffers]: the backward of an activation, or of a product
// or quotient by a number, maps the gradient it receives to one of the same shape.
// The engine hands the formula its own buffer and drops it afterwards, so the
// result can be written in place: one allocation fewer, and the stores go to
// lines the previous node has just written instead of a buffer that may be out of
// the cache. Measured in alternating rounds (new / old, median): MLP train step
// (ReLU) 0.94-0.95 at batch 32, 0.96-0.99 at 128 and 512; the chain of `y * 1.0`
// 0.91. A gradient the user passed in, a hook kept, retain_grad stored or
// autograd::grad will return is held elsewhere too, so it is never written.
template <class Op>
Tensor float_binary_map(const Tensor& a, const Tensor& b, const Op& op) {
  const ScalarType t = core::to_floating(result_type(a, b));
  const bool in_place = is_reusable_gradient(a, b);
  Tensor out = in_place ? a : empty_broadcast(a, b, t);
  Tensor a_holder, b_holder;
  const Tensor& ac = as_loop_input(a, t, out, a_holder);
  const Tensor& bc = as_loop_input(b, t, out, b_holder);
  kernels::visit_floating(t, "binary op", [&](auto tag) {
    using T = decltype(tag);
    // Inlined into the kernel's loop, as float_unary_map's.
    kernels::map<T, T, T>(out, [&op](T x, T y) __attribute__((always_inline)) { return static_cast<T>(op(x, y)); },
                          ac, bc);
  });
  return out;
}

// g = g op s in place, for a backward formula outside create_graph, when the
// incoming gradient g is reusable (Note [Reusing gradient buffers]) and the
// result keeps its dtype; false, with g untouched, otherwise.
template <class Op>
bool scalar_map_over_gradient(const Tensor& g, const Scalar& s, const Op& op) {
  if (GradMode::is_enabled() || result_type(g, s) != g.dtype() || !is_reusable_gradient(g, g)) return false;
  kernels::visit_floating(g.dtype(), "binary op", [&](auto tag) {
    using T = decltype(tag);
    const T v = wrapped_number<T>(s);
    kernels::map<T, T>(g, [&op, v](T x) { return static_cast<T>(op(x, v)); }, g);
  });
  return true;
}

// out = op(a) elementwise, a converted to `compute` first.
template <bool BoolOut = false, class Op>
Tensor unary_map(const Tensor& a, ScalarType compute, const Op& op) {
  Tensor out = empty_elementwise(a.sizes(), BoolOut ? kBool : compute, {&a});
  Tensor holder;
  const Tensor& ac = as_loop_input(a, compute, out, holder);
  kernels::visit(compute, [&](auto tag) {
    using T = decltype(tag);
    using O = std::conditional_t<BoolOut, bool, T>;
    kernels::map<O, T>(out, [&op](T x) { return static_cast<O>(op(x)); }, ac);
  });
  return out;
}

// Floating-point unary op: integers and bools are computed in the default dtype.
template <class Op>
Tensor float_unary_map(const Tensor& a, const Op& op) {
  const ScalarType t = core::to_floating(a.dtype());
  Tensor out = empty_elementwise(a.sizes(), t, {&a});
  Tensor holder;
  const Tensor& ac = as_loop_input(a, t, out, holder);
  kernels::visit_floating(t, "unary op", [&](auto tag) {
    using T = decltype(tag);
    // Inlined into the kernel's loop, so that an op made of arithmetic (the
    // kernels' vec_exp, TG_VECTOR_INLINE) vectorises.
    kernels::map<T, T>(out, [&op](T x) __attribute__((always_inline)) { return static_cast<T>(op(x)); }, ac);
  });
  return out;
}

// The gradient of an activation that passes or scales g by where `source` lies
// (relu on its result, leaky_relu on its input; nll_loss passes it whole), as a
// differentiable op with an edge to `source` whose gradient is 0, as libtorch's
// threshold_backward, leaky_relu_backward and nll_loss_backward: a gradient
// taken through the op alone with
// create_graph still requires grad, and differentiating it gives zeros, not
// "appears to not have been used in the graph". `pass(gv, sv)` is the gradient
// for one element.
template <class Pass>
Tensor pass_gradient(const char* name, const Tensor& g, const Tensor& source, const Pass& pass) {
  Tensor out = float_binary_map(g, source, pass);
  if (needs_tangent(g)) set_tangent(out, g, [&](const Tensor& t) { return pass_gradient(name, t, source, pass); });
  if (needs_record(g, source)) {
    auto node = make_node(name, [name, pass](Node& n, const Tensor& gg) -> variable_list {
      const Tensor src = n.saved(0);
      return {n.needs_input_grad(0) ? pass_gradient(name, gg, src, pass) : Tensor(),
              n.needs_input_grad(1) ? zeros_like(src) : Tensor()};
    }, g, source);
    node->save(source, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace tg::ops
