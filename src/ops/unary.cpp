// Elementwise functions of one tensor and their backward formulas. Formulas are
// written with differentiable ops (so create_graph works); where a formula runs
// often in training (activations), a fused kernel is used when grad mode is off
// during backward, i.e. when no higher-order graph is being built. Products are
// grouped as in libtorch's formulas (derivatives.yaml), so that they round alike.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/vec_math.h"
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

// Records a one-input node with a gradient function of (grad, input, result).
// The derivative is written once: applied to the incoming gradient by the node, and
// to a's tangent in forward mode (elementwise, the two are the same product).
template <class F>
void record_unary(const char* name, const Tensor& a, const Tensor& out, bool save_input, bool save_result, F formula) {
  intrusive_ptr<Node> node;
  if (needs_record(a)) {
    node = make_node(name, [formula](Node& n, const Tensor& g) -> variable_list {
      return {formula(g, n.saved(0), n.saved(1))};
    }, a);
    node->save(save_input ? a : Tensor(), false);
    node->save(save_result ? out : Tensor(), true);
  }
  if (needs_tangent(a)) {
    const Tensor y = output_for_rule(out, node);
    set_tangent(out, a, [&](const Tensor& t) { return formula(t, a, y); });
  }
  if (node) set_history(out, node);
}

bool building_graph() { return GradMode::is_enabled(); }

// erf: the vectorised kernel for float, libm for double (no vectorised double
// version yet).
template <class T>
TG_VECTOR_INLINE inline T erf_of(T x) {
  if constexpr (std::is_same_v<T, float>) return kernels::vec_erf(x);
  else return std::erf(x);
}
// erfc: gelu's cdf is erfc(-x / sqrt 2) / 2, which keeps its relative accuracy
// where 1 + erf(x / sqrt 2) cancels (negative x). kernels::vec_erfc for float,
// libm for double.
template <class T>
TG_VECTOR_INLINE inline T erfc_of(T x) {
  if constexpr (std::is_same_v<T, float>) return kernels::vec_erfc(x);
  else return std::erfc(x);
}

constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2*pi)

}  // namespace

Tensor exp(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE { return kernels::vec_exp(x); });
  record_unary("ExpBackward0", a, out, false, true, [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; });
  return out;
}

Tensor log(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE { return kernels::vec_log(x); });
  record_unary("LogBackward0", a, out, true, false, [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; });
  return out;
}

Tensor sqrt(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) { return std::sqrt(x); });
  record_unary("SqrtBackward0", a, out, false, true,
               [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (2 * y); });
  return out;
}

Tensor rsqrt(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
  record_unary("RsqrtBackward0", a, out, false, true,
               [](const Tensor& g, const Tensor&, const Tensor& y) { return -0.5 * g * y.pow(3); });
  return out;
}

Tensor reciprocal(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) { return decltype(x)(1) / x; });
  record_unary("ReciprocalBackward0", a, out, false, true,
               [](const Tensor& g, const Tensor&, const Tensor& y) { return -g * (y * y); });
  return out;
}

Tensor erf(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE { return erf_of(x); });
  record_unary("ErfBackward0", a, out, true, false, [](const Tensor& g, const Tensor& x, const Tensor&) {
    return 2.0 / std::sqrt(M_PI) * exp(-(x * x)) * g;
  });
  return out;
}

Tensor abs(const Tensor& a) {
  TG_CHECK(a.dtype() != kBool, "\"abs_cpu\" not implemented for 'Bool'");
  Tensor out = unary_map(a, a.dtype(), [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_same_v<T, bool>) return x;
    // int64 wraps (abs(INT64_MIN) is INT64_MIN) and abs(-0.0) is 0.0, as libtorch's.
    else if constexpr (std::is_same_v<T, int64_t>) return x < 0 ? static_cast<T>(0ull - static_cast<uint64_t>(x)) : x;
    else return std::abs(x);
  });
  record_unary("AbsBackward0", a, out, true, false,
               [](const Tensor& g, const Tensor& x, const Tensor&) { return g * x.sign(); });
  return out;
}

Tensor sign(const Tensor& a) {
  Tensor out = unary_map(a, a.dtype(), [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_same_v<T, bool>) return x;
    else return static_cast<T>((T(0) < x) - (x < T(0)));
  });
  record_unary("SignBackward0", a, out, false, false,
               [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); });
  return out;
}

Tensor square(const Tensor& a) { return pow(a, 2); }

Tensor tanh(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE { return kernels::vec_tanh(x); });
  record_unary("TanhBackward0", a, out, false, true, [](const Tensor& g, const Tensor&, const Tensor& y) {
    if (building_graph()) return g * (1 - y * y);
    return float_binary_map(g, y, [](auto gv, auto yv) { return gv * (1 - yv * yv); });
  });
  return out;
}

Tensor sigmoid(const Tensor& a) {
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE {
    using T = decltype(x);
    return T(1) / (T(1) + kernels::vec_exp(-x));
  });
  record_unary("SigmoidBackward0", a, out, false, true, [](const Tensor& g, const Tensor&, const Tensor& y) {
    if (building_graph()) return g * (1 - y) * y;
    return float_binary_map(g, y, [](auto gv, auto yv) { return gv * (1 - yv) * yv; });
  });
  return out;
}

Tensor relu(const Tensor& a) {
  TG_CHECK(a.dtype() != kBool, "Boolean inputs not supported for relu");
  Tensor out = unary_map(a, a.dtype(), [](auto x) {
    if constexpr (std::is_same_v<decltype(x), bool>) return x;
    else return x < 0 ? decltype(x)(0) : x;  // NaN stays NaN and -0 stays -0, as libtorch's clamp_min
  });
  // Subgradient 0 at 0, as libtorch's threshold_backward (which passes the gradient at NaN).
  record_unary("ReluBackward0", a, out, false, true, [](const Tensor& g, const Tensor&, const Tensor& y) {
    auto pass = [](auto gv, auto yv) { return yv <= 0 ? decltype(gv)(0) : gv; };
    if (building_graph()) return pass_gradient("ThresholdBackwardBackward0", g, y, pass);
    return float_binary_map(g, y, pass);
  });
  return out;
}

Tensor leaky_relu(const Tensor& a, const Scalar& negative_slope) {
  TG_CHECK(a.is_floating_point(), "\"leaky_relu_cpu\" not implemented for '", a.dtype(), "'");
  // A slope beyond float's range raises for float input, as libtorch's.
  const double slope = a.dtype() == kFloat ? negative_slope.toFloat() : negative_slope.toDouble();
  // The slope multiplies in the input's type, as in libtorch's kernel (a product in
  // double rounds differently). The product is taken for every element: taken only
  // where it is selected, GCC may not speculate it (it could trap) and branches per
  // element, which mispredicts on mixed signs (5 ms for 1M floats, not 0.1).
  Tensor out = float_unary_map(a, [slope](auto x) {
    using T = decltype(x);
    const T scaled = x * static_cast<T>(slope);
    return x > 0 ? x : scaled;
  });
  record_unary("LeakyReluBackward0", a, out, true, false, [slope](const Tensor& g, const Tensor& x, const Tensor&) {
    auto pass = [slope](auto gv, auto xv) {
      using T = decltype(gv);
      const T scaled = gv * static_cast<T>(slope);
      return xv > 0 ? gv : scaled;
    };
    if (building_graph()) return pass_gradient("LeakyReluBackwardBackward0", g, x, pass);
    return float_binary_map(g, x, pass);
  });
  return out;
}

Tensor gelu(const Tensor& a, const std::string& approximate) {
  TG_CHECK(approximate == "none" || approximate == "tanh", "approximate argument must be either none or tanh.");
  TG_CHECK(a.is_floating_point(), "\"GeluKernelImpl\" not implemented for '", a.dtype(), "'");
  if (approximate == "none") {
    Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE {
      using T = decltype(x);
      return static_cast<T>(0.5) * x * erfc_of(x * static_cast<T>(-M_SQRT1_2));
    });
    record_unary("GeluBackward0", a, out, true, false, [](const Tensor& g, const Tensor& x, const Tensor&) {
      if (building_graph()) {
        Tensor cdf = 0.5 * (1 + erf(x * M_SQRT1_2));
        Tensor pdf = exp(-0.5 * x * x) * kInvSqrt2Pi;
        return g * (cdf + x * pdf);
      }
      return float_binary_map(g, x, [](auto gv, auto xv) TG_VECTOR_INLINE {
        using T = decltype(gv);
        T cdf = T(0.5) * erfc_of(xv * static_cast<T>(-M_SQRT1_2));
        T pdf = kernels::vec_exp(T(-0.5) * xv * xv) * static_cast<T>(kInvSqrt2Pi);
        return gv * (cdf + xv * pdf);
      });
    });
    return out;
  }
  Tensor out = float_unary_map(a, [](auto x) TG_VECTOR_INLINE {
    using T = decltype(x);
    T inner = static_cast<T>(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + kernels::vec_tanh(inner));
  });
  record_unary("GeluBackward0", a, out, true, false, [](const Tensor& g, const Tensor& x, const Tensor&) {
    if (building_graph()) {
      Tensor x2 = x * x;
      Tensor t = tanh(kSqrt2OverPi * (x + 0.044715 * x2 * x));
      Tensor dinner = kSqrt2OverPi * (1 + 3 * 0.044715 * x2);
      return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner);
    }
    return float_binary_map(g, x, [](auto gv, auto xv) TG_VECTOR_INLINE {
      using T = decltype(gv);
      T x2 = xv * xv;
      T t = kernels::vec_tanh(static_cast<T>(kSqrt2OverPi) * (xv + T(0.044715) * x2 * xv));
      T dinner = static_cast<T>(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x2);
      return gv * (T(0.5) * (T(1) + t) + T(0.5) * xv * (T(1) - t * t) * dinner);
    });
  });
  return out;
}

// ---- clamp ---------------------------------------------------------------------------------
// Node names as libtorch's: clamp(min, max) records ClampBackward1 even with one
// bound; clamp_min / clamp_max record their own.
namespace {
// nan_bound_poisons: a NaN bound makes every element NaN, as in libtorch's
// clamp with both bounds and its clamp_min / clamp_max; its clamp with one bound
// leaves x as it is.
Tensor clamp_impl(const Tensor& a, const optional<Scalar>& min, const optional<Scalar>& max, const char* name,
                  bool nan_bound_poisons) {
  TG_CHECK(min || max, "torch.clamp: At least one of 'min' or 'max' must not be None");
  core::ResultType rt;
  rt.add(a);
  if (min) rt.add(*min);
  if (max) rt.add(*max);
  const ScalarType t = rt.get();
  // A Bool tensor clamped to numbers is computed in their type, as libtorch's.
  TG_CHECK(t != kBool, "\"", min && max ? "clamp_scalar" : min ? "clamp_min" : "clamp_max",
           "_cpu\" not implemented for 'Bool'");
  // A missing bound is the type's extreme (an infinity for floating types), so
  // every element goes through the same two selects (no branch to mispredict).
  // max follows min, as libtorch's min(max(x, lo), hi): with lo > hi every
  // element is hi. A NaN element fails both comparisons and stays NaN.
  Tensor out = kernels::visit(t, [&](auto tag) {
    using T = decltype(tag);
    constexpr bool floating = std::is_floating_point_v<T>;
    const T lo = min ? min->to<T>() : floating ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    const T hi = max ? max->to<T>() : floating ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
    if (nan_bound_poisons && (lo != lo || hi != hi))
      return unary_map(a, t, [](auto) { return std::numeric_limits<T>::quiet_NaN(); });
    return unary_map(a, t, [=](auto x) {
      const T above_lo = x < lo ? lo : x;
      return above_lo > hi ? hi : above_lo;
    });
  });
  record_unary(name, a, out, true, false, [min, max](const Tensor& g, const Tensor& x, const Tensor&) {
    if (building_graph()) {
      Tensor mask = min && max ? (x >= *min) * (x <= *max) : min ? x >= *min : x <= *max;
      return where(mask, g, 0);
    }
    // The gradient passes where lo <= x <= hi (not at NaN), as the mask above.
    return kernels::visit_floating(x.dtype(), "clamp_backward", [&](auto tag) {
      using T = decltype(tag);
      const T lo = min ? min->to<T>() : -std::numeric_limits<T>::infinity();
      const T hi = max ? max->to<T>() : std::numeric_limits<T>::infinity();
      return float_binary_map(g, x, [lo, hi](auto gv, auto xv) {
        return ((xv >= lo) & (xv <= hi)) ? gv : decltype(gv)(0);
      });
    });
  });
  return out;
}

}  // namespace

Tensor clamp(const Tensor& a, const optional<Scalar>& min, const optional<Scalar>& max) {
  return clamp_impl(a, min, max, "ClampBackward1", min && max);
}
Tensor clamp_min(const Tensor& a, const Scalar& min) {
  return clamp_impl(a, min, nullopt, "ClampMinBackward0", true);
}
Tensor clamp_max(const Tensor& a, const Scalar& max) {
  return clamp_impl(a, nullopt, max, "ClampMaxBackward0", true);
}

// ---- predicates (no gradient) ------------------------------------------------------------------
Tensor logical_not(const Tensor& a) {
  return unary_map<true>(a, a.dtype(), [](auto x) { return !x; });
}

Tensor Tensor::operator~() const {
  TG_CHECK(dtype() == kBool || dtype() == kLong, "bitwise_not_cpu not implemented for '", dtype(), "'");
  if (dtype() == kBool) return logical_not(*this);
  Tensor out = ops::empty_elementwise(sizes(), kLong, {this});
  kernels::map<int64_t, int64_t>(out, [](int64_t x) { return ~x; }, *this);
  return out;
}

Tensor isnan(const Tensor& a) {
  if (!a.is_floating_point()) return zeros(a.sizes(), kBool);
  return unary_map<true>(a, a.dtype(), [](auto x) { return x != x; });
}

Tensor isfinite(const Tensor& a) {
  if (!a.is_floating_point()) return ones(a.sizes(), kBool);
  return kernels::visit_floating(a.dtype(), "isfinite", [&](auto) {
    return unary_map<true>(a, a.dtype(), [](auto x) { return std::isfinite(x); });
  });
}

namespace ops {
bool all_finite(const Tensor& t) {
  if (!t.is_floating_point()) return true;
  Tensor c = contiguous_raw(t);
  return kernels::visit_floating(t.dtype(), "all_finite", [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data_ptr<T>();
    bool ok = true;
    for (int64_t i = 0, n = c.numel(); i < n; ++i) ok &= std::isfinite(p[i]);
    return ok;
  });
}
}  // namespace ops

// ---- Tensor methods ----------------------------------------------------------------------------
Tensor Tensor::square() const { return tg::square(*this); }
Tensor Tensor::sqrt() const { return tg::sqrt(*this); }
Tensor Tensor::rsqrt() const { return tg::rsqrt(*this); }
Tensor Tensor::reciprocal() const { return tg::reciprocal(*this); }
Tensor Tensor::erf() const { return tg::erf(*this); }
Tensor Tensor::exp() const { return tg::exp(*this); }
Tensor Tensor::log() const { return tg::log(*this); }
Tensor Tensor::abs() const { return tg::abs(*this); }
Tensor Tensor::sign() const { return tg::sign(*this); }
Tensor Tensor::clamp(const optional<Scalar>& min, const optional<Scalar>& max) const { return tg::clamp(*this, min, max); }
Tensor Tensor::clamp_min(const Scalar& min) const { return tg::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return tg::clamp_max(*this, max); }
Tensor Tensor::tanh() const { return tg::tanh(*this); }
Tensor Tensor::sigmoid() const { return tg::sigmoid(*this); }
Tensor Tensor::relu() const { return tg::relu(*this); }

}  // namespace tg
