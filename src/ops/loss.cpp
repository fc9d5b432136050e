// The elementwise losses of tg::nn::functional: mse_loss, binary_cross_entropy
// and binary_cross_entropy_with_logits. Each records one node (libtorch's name)
// whose backward is one fused loop, or differentiable ops when a higher-order
// graph is being built; arithmetic follows libtorch's kernels step by step.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "kernels/vec_math.h"
#include "ops/loss_common.h"
#include "ops/op_helpers.h"

namespace tg::nn::functional {
namespace {
using namespace tg::ops;

// libtorch's floor on x * (1 - x) in the binary cross entropy gradient: 1e-12 as a
// float, also for float64 (x = 0, target 0.2: -200000000799.16, not -2e11).
constexpr double kBceEpsilon = static_cast<double>(1e-12f);

Tensor reduce(const Tensor& loss, Reduction red) {
  switch (red) {
    case Reduction::None:
      return loss;
    case Reduction::Sum:
      return sum(loss);
    case Reduction::Mean:
      break;
  }
  return mean(loss);
}

// What a reduction divides the summed loss by: numel for a mean, 1 otherwise.
double mean_divisor(Reduction red, int64_t numel) { return red == Reduction::Mean ? static_cast<double>(numel) : 1.0; }

// t, or a 0-dim 1 standing for an absent weight in the fused loops.
Tensor or_one(const Tensor& t, ScalarType dtype) { return t.defined() ? cast(t, dtype) : scalar_tensor(1, dtype); }

// The last steps of the binary cross-entropies' differentiable backward: both
// gradients times the weight (when given), over the reduction's divisor.
void weigh_and_divide(Tensor& gx, Tensor& gt, const Tensor& w, double div) {
  if (w.defined()) {
    gx = gx * w;
    gt = gt * w;
  }
  gx = gx / div;
  gt = gt / div;
}

// The shape `t` broadcasts `input` to must be input's own: libtorch applies
// weights in place on the loss.
void check_broadcasts_to(IntArrayRef a, IntArrayRef b, IntArrayRef input) {
  const DimVector shape = core::broadcast_shapes(a, b);
  TG_CHECK(shape.ref() == input, "output with shape ", input, " doesn't match the broadcast shape ", shape.ref());
}

// log(1 + exp(-|z|)), the part of softplus and log_sigmoid that is never large.
template <class T>
TG_VECTOR_INLINE inline T log1p_exp_negative(T z) {
  return kernels::vec_log1p(kernels::vec_exp(-std::abs(z)));
}

template <class T>
TG_VECTOR_INLINE inline T log_sigmoid(T z) {
  return std::min(z, T(0)) - log1p_exp_negative(z);
}

// log_sigmoid as a differentiable op, for the target gradient of
// binary_cross_entropy_with_logits under create_graph. Its derivative is
// sigmoid(-z), smooth everywhere: built of min and |z| instead, the derivative
// at z = 0 came out 1, not 1/2.
Tensor log_sigmoid_op(const Tensor& z) {
  Tensor out = float_unary_map(z, [](auto v) TG_VECTOR_INLINE { return log_sigmoid(v); });
  if (needs_record(z)) {
    auto node = make_node("LogSigmoidBackward0", [](Node& n, const Tensor& g) -> variable_list {
      return {g * sigmoid(-n.saved(0))};
    }, z);
    node->save(z, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  if (!(target.sizes() == input.sizes()))
    std::cerr << "Warning: Using a target size (" << target.sizes() << ") that is different to the input size ("
              << input.sizes() << "). This will likely lead to incorrect results due to broadcasting. Please ensure "
              << "they have the same size. (function mse_loss)\n";
  const DimVector shape = core::broadcast_shapes(input.sizes(), target.sizes());
  const ScalarType dtype = result_type(input, target);
  TG_CHECK(is_floating_point(dtype), "\"mse_cpu\" not implemented for '", dtype, "'");
  const Reduction red = reduction_of(options.reduction());
  Tensor out = reduce(binary_map(input, target, dtype, [](auto x, auto y) { return (x - y) * (x - y); }), red);
  if (needs_record(input, target)) {
    const double norm = 2.0 / mean_divisor(red, core::numel_of(shape));
    auto node = make_node(
        "MseLossBackward0",
        [norm, dtype, shape](Node& n, const Tensor& g) -> variable_list {
          const Tensor x = n.saved(0), t = n.saved(1);
          // libtorch's mse_loss_backward takes the input's dtype (the target's, for
          // the target's gradient alone) and refuses another: the forward promotes,
          // the backward does not.
          const bool for_input = n.needs_input_grad(0);
          TG_CHECK(x.dtype() == t.dtype(), "Found dtype ", for_input ? t.dtype() : x.dtype(), " but expected ",
                   for_input ? x.dtype() : t.dtype());
          Tensor gx;
          if (GradMode::is_enabled()) {
            gx = norm * (x - t) * g;
          } else {
            gx = empty(shape, dtype);
            kernels::visit_floating(dtype, "mse_backward", [&](auto tag) {
              using T = decltype(tag);
              const T alpha = static_cast<T>(norm);
              kernels::map<T, T, T, T>(
                  gx, [alpha](T a, T b, T c) { return alpha * (a - b) * c; }, cast(x, dtype), cast(t, dtype),
                  cast(g, dtype));
            });
          }
          return {n.needs_input_grad(0) ? gx : Tensor(), n.needs_input_grad(1) ? -gx : Tensor()};
        },
        input, target);
    node->save(input, false);
    node->save(target, false);
    set_history(out, node);
  }
  return out;
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options) {
  TG_CHECK(target.sizes() == input.sizes(), "Using a target size (", target.sizes(),
           ") that is different to the input size (", input.sizes(),
           ") is deprecated. Please ensure they have the same size.");
  const Tensor& weight = options.weight();
  if (weight.defined()) check_broadcasts_to(target.sizes(), weight.sizes(), input.sizes());
  if (GradMode::is_enabled()) check_no_requires_grad(weight, "weight", "binary_cross_entropy");
  const ScalarType dtype = input.dtype();
  TG_CHECK(input.is_floating_point(), "\"binary_cross_entropy\" not implemented for '", dtype, "'");
  TG_CHECK(target.dtype() == dtype, "Found dtype ", target.dtype(), " but expected ", dtype);
  const Reduction red = reduction_of(options.reduction());
  // Laid out as libtorch's (Note [Elementwise output layout]: input's, then target's).
  Tensor loss = empty_elementwise(input.sizes(), dtype, {&input, &target});
  kernels::visit_floating(dtype, "binary_cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = contiguous_raw(input);
    const T* px = xc.data_ptr<T>();
    bool in_range = true;  // NaN is not
    for (int64_t i = 0, n = xc.numel(); i < n; ++i) in_range &= (px[i] >= 0) & (px[i] <= 1);
    TG_CHECK(in_range, "all elements of input should be between 0 and 1");
    // libtorch: (t - 1) * max(log(1 - x), -100) - t * max(log(x), -100), then * weight.
    kernels::map<T, T, T, T>(
        loss,
        [](T x, T t, T w) TG_VECTOR_INLINE {
          return ((t - T(1)) * std::max(kernels::vec_log(T(1) - x), T(-100)) -
                  t * std::max(kernels::vec_log(x), T(-100))) *
                 w;
        },
        input, target, or_one(weight, dtype));
  });
  Tensor out = reduce(loss, red);
  if (needs_record(input, target)) {
    const double div = mean_divisor(red, input.numel());
    auto node = make_node(
        "BinaryCrossEntropyBackward0",
        [div, dtype](Node& n, const Tensor& g) -> variable_list {
          const Tensor x = n.saved(0), t = n.saved(1), w = n.saved(2);
          Tensor gx, gt;
          if (GradMode::is_enabled()) {
            gx = g * (x - t) / clamp_min((1 - x) * x, kBceEpsilon);
            gt = -log(x / (1 - x)) * g;
            weigh_and_divide(gx, gt, w, div);
          } else {
            kernels::visit_floating(dtype, "binary_cross_entropy_backward", [&](auto tag) {
              using T = decltype(tag);
              const T d = static_cast<T>(div);
              const Tensor wt = or_one(w, dtype), gc = cast(g, dtype);
              if (n.needs_input_grad(0)) {
                gx = empty(x.sizes(), dtype);
                kernels::map<T, T, T, T, T>(
                    gx,
                    [d](T gv, T xv, T tv, T wv) {
                      return gv * (xv - tv) / std::max((T(1) - xv) * xv, static_cast<T>(kBceEpsilon)) * wv / d;
                    },
                    gc, x, t, wt);
              }
              if (n.needs_input_grad(1)) {
                gt = empty(x.sizes(), dtype);
                kernels::map<T, T, T, T>(
                    gt,
                    [d](T gv, T xv, T wv) TG_VECTOR_INLINE {
                      return -kernels::vec_log(xv / (T(1) - xv)) * gv * wv / d;
                    },
                    gc, x, wt);
              }
            });
          }
          return {n.needs_input_grad(0) ? gx : Tensor(), n.needs_input_grad(1) ? gt : Tensor()};
        },
        input, target);
    node->save(input, false);
    node->save(target, false);
    node->save(weight, false);
    set_history(out, node);
  }
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  TG_CHECK(target.sizes() == input.sizes(), "Target size (", target.sizes(), ") must be the same as input size (",
           input.sizes(), ")");
  const Tensor &weight = options.weight(), &pos_weight = options.pos_weight();
  if (GradMode::is_enabled()) {
    check_no_requires_grad(weight, "weight", "binary_cross_entropy_with_logits");
    check_no_requires_grad(pos_weight, "pos_weight", "binary_cross_entropy_with_logits");
  }
  TG_CHECK(input.dtype() != kBool,
           "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the "
           "`~` or `logical_not()` operator instead.");
  TG_CHECK(target.dtype() != kBool,
           "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  const ScalarType dtype = core::to_floating(promote_types(input.dtype(), target.dtype()));
  TG_CHECK(input.is_floating_point() && target.is_floating_point(), "result type ", dtype,
           " can't be cast to the desired output type ", input.is_floating_point() ? target.dtype() : input.dtype());
  if (pos_weight.defined()) check_broadcasts_to(pos_weight.sizes(), target.sizes(), input.sizes());
  if (weight.defined()) check_broadcasts_to(input.sizes(), weight.sizes(), input.sizes());
  const Reduction red = reduction_of(options.reduction());
  const bool has_pos = pos_weight.defined();
  // Laid out as libtorch's, which builds the loss on 1 - target: target's layout, then input's.
  Tensor loss = empty_elementwise(input.sizes(), dtype, {&target, &input});
  kernels::visit_floating(dtype, "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    // (1 - t) x + (1 + (pw - 1) t) softplus(-x), softplus(-x) = max(-x, 0) + log1p(exp(-|x|)):
    // no exp of a large positive number, so finite for any finite logit.
    kernels::map<T, T, T, T, T>(
        loss,
        [](T x, T t, T pw, T w) TG_VECTOR_INLINE {
          const T log_weight = (pw - T(1)) * t + T(1);
          return ((T(1) - t) * x + log_weight * (log1p_exp_negative(x) + std::max(-x, T(0)))) * w;
        },
        cast(input, dtype), cast(target, dtype), or_one(pos_weight, dtype), or_one(weight, dtype));
  });
  // libtorch's loss takes the target's dtype (it is built in place on 1 - target).
  Tensor out = cast(reduce(loss, red), target.dtype());
  if (needs_record(input, target)) {
    const double div = mean_divisor(red, input.numel());
    auto node = make_node(
        "BinaryCrossEntropyWithLogitsBackward0",
        [div, dtype, has_pos](Node& n, const Tensor& g) -> variable_list {
          const Tensor x = n.saved(0), t = n.saved(1), w = n.saved(2), pw = n.saved(3);
          Tensor gx, gt;
          if (GradMode::is_enabled()) {
            if (has_pos) {
              Tensor pt = pw * t;
              gx = (pt + 1 - t) * sigmoid(x) - pt;
              gt = log_sigmoid_op(-x) - log_sigmoid_op(x) * pw;
            } else {
              gx = sigmoid(x) - t;
              gt = -x;
            }
            gx = gx * g;
            gt = gt * g;
            weigh_and_divide(gx, gt, w, div);
          } else {
            kernels::visit_floating(dtype, "binary_cross_entropy_with_logits_backward", [&](auto tag) {
              using T = decltype(tag);
              const T d = static_cast<T>(div);
              const Tensor xc = cast(x, dtype), tc = cast(t, dtype), pwc = or_one(pw, dtype), wc = or_one(w, dtype);
              const Tensor gc = cast(g, dtype);
              const DimVector shape(x.sizes());
              // pos_weight's presence is a template argument: the loops vectorise
              // only without a select between the two formulas in them.
              auto fill = [&](auto pos_tag) {
                constexpr bool kPos = decltype(pos_tag)::value;
                if (n.needs_input_grad(0)) {
                  gx = empty(shape, dtype);
                  kernels::map<T, T, T, T, T, T>(
                      gx,
                      [d](T xv, T tv, T pv, T wv, T gv) TG_VECTOR_INLINE {
                        const T s = T(1) / (T(1) + kernels::vec_exp(-xv));
                        if constexpr (kPos) return ((pv * tv + T(1) - tv) * s - pv * tv) * gv * wv / d;
                        else return (s - tv) * gv * wv / d;
                      },
                      xc, tc, pwc, wc, gc);
                }
                if (n.needs_input_grad(1)) {
                  gt = empty(shape, dtype);
                  kernels::map<T, T, T, T, T>(
                      gt,
                      [d](T xv, T pv, T wv, T gv) TG_VECTOR_INLINE {
                        if constexpr (kPos) return (log_sigmoid(-xv) - log_sigmoid(xv) * pv) * gv * wv / d;
                        else return -xv * gv * wv / d;
                      },
                      xc, pwc, wc, gc);
                }
              };
              if (has_pos) fill(std::true_type{});
              else fill(std::false_type{});
            });
          }
          return {n.needs_input_grad(0) ? gx : Tensor(), n.needs_input_grad(1) ? gt : Tensor()};
        },
        input, target);
    node->save(input, false);
    node->save(target, false);
    node->save(weight, false);
    node->save(pos_weight, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace tg::nn::functional
