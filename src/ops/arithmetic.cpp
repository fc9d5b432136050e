// + - * / with tensors and scalars on either side, and their backward formulas
// (libtorch's derivatives.yaml). Integer arithmetic wraps around as libtorch's.
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

template <class T>
T add_op(T x, T y) {
  if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>) return x || y;
  else return x + y;
}
template <class T>
T mul_op(T x, T y) {
  if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>) return x && y;
  else return x * y;
}

template <class T>
T neg_op(T x) {
  if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(0ull - static_cast<uint64_t>(x));
  else if constexpr (std::is_same_v<T, bool>) return x;
  else return -x;
}

// libtorch's alpha_check: a bool alpha needs a Bool result, a floating one a
// floating result, which it must fit (libtorch's alpha.to<float>() raises). An
// integer alpha (the default 1) passes at once: every int64 fits a float.
inline void check_alpha(ScalarType t, const Scalar& alpha) {
  if (alpha.type() == kLong) return;
  TG_CHECK(!alpha.isBoolean() || t == kBool, "Boolean alpha only supported for Boolean results.");
  TG_CHECK(!alpha.isFloatingPoint() || is_floating_point(t),
           "For integral input tensors, argument alpha must not be a floating point number.");
  if (t == kFloat) alpha.toFloat();
}

void check_sub(const Tensor& a, ScalarType other) {
  TG_CHECK(!(a.dtype() == kBool && other == kBool),
           "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  TG_CHECK(!(a.dtype() == kBool || other == kBool),
           "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
           "use the `~` or `logical_not()` operator instead.");
}

// a + alpha * b
Tensor add_impl(const Tensor& a, const Tensor& b, const Scalar& alpha, const char* name, bool negate) {
  const ScalarType t = result_type(a, b);
  check_alpha(t, alpha);
  Tensor out = kernels::visit(t, [&](auto tag) {
    using T = decltype(tag);
    // Unchecked: check_alpha did.
    const T al = negate ? neg_op(wrapped_number<T>(alpha)) : wrapped_number<T>(alpha);
    if (al == T(1)) return binary_map(a, b, t, [](auto x, auto y) { return add_op(x, y); });
    return binary_map(a, b, t, [al](auto x, auto y) { return add_op(x, mul_op(static_cast<decltype(x)>(al), y)); });
  });
  if (needs_tangent(a, b))
    set_tangent(out, a, [](const Tensor& t) { return t; }, b, [&](const Tensor& t) { return t * (negate ? -alpha : alpha); });
  if (needs_record(a, b)) {
    const double al = (negate ? -1.0 : 1.0) * alpha.toDouble();
    auto node = make_node(name, [al](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? g : Tensor(),
              n.needs_input_grad(1) ? (al == 1.0 ? g : al == -1.0 ? -g : g * al) : Tensor()};
    }, a, b);
    set_history(out, node);
  }
  return out;
}

// a + s (s already scaled by alpha)
Tensor add_scalar_impl(const Tensor& a, const Scalar& s, const char* name) {
  const ScalarType t = result_type(a, s);
  Tensor out = scalar_map(a, s, t, [](auto x, auto y) { return add_op(x, y); });
  if (needs_tangent(a)) set_tangent(out, a, [](const Tensor& t) { return t; });
  if (needs_record(a)) {
    auto node = make_node(name, [](Node&, const Tensor& g) -> variable_list { return {g}; }, a);
    set_history(out, node);
  }
  return out;
}

// alpha * s (negated for sub), of the kind that keeps the result type of `t`
// with s: with a Bool result, s || alpha's truth is computed in bool, as libtorch
// does (true + true is true, not 2).
Scalar scaled(ScalarType t, const Scalar& s, const Scalar& alpha, bool negate) {
  if (t == kBool) return s.toBool() && (alpha.isBoolean() ? alpha.toBool() : alpha.toLong() != 0);
  if (s.isFloatingPoint() || alpha.isFloatingPoint()) return (negate ? -1.0 : 1.0) * s.toDouble() * alpha.toDouble();
  return static_cast<int64_t>(static_cast<uint64_t>(negate ? -1 : 1) * static_cast<uint64_t>(s.toLong()) *
                              static_cast<uint64_t>(alpha.toLong()));
}

}  // namespace

// ---- add / sub ------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return add_impl(a, b, alpha, "AddBackward0", false); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  const ScalarType t = result_type(a, b);
  check_alpha(t, alpha);
  return add_scalar_impl(a, scaled(t, b, alpha, false), "AddBackward1");
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  check_sub(a, b.dtype());
  return add_impl(a, b, alpha, "SubBackward0", true);
}
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  check_sub(a, b.type());
  const ScalarType t = result_type(a, b);
  check_alpha(t, alpha);
  return add_scalar_impl(a, scaled(t, b, alpha, true), "SubBackward1");
}

// b - alpha * a
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  check_sub(a, b.type());
  const ScalarType t = result_type(a, b);
  check_alpha(t, alpha);
  Tensor out = kernels::visit(t, [&](auto tag) {
    using T = decltype(tag);
    const T al = alpha.to<T>();
    return scalar_map(a, b, t, [al](auto x, auto s) { return add_op(s, mul_op(neg_op(static_cast<decltype(x)>(al)), x)); });
  });
  if (needs_tangent(a)) set_tangent(out, a, [&](const Tensor& t) { return t * -alpha; });
  if (needs_record(a)) {
    const double al = alpha.toDouble();
    auto node = make_node("RsubBackward1", [al](Node&, const Tensor& g) -> variable_list {
      return {al == 1.0 ? -g : g * -al};
    }, a);
    set_history(out, node);
  }
  return out;
}

// ---- mul -------------------------------------------------------------------------------------
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, result_type(a, b), [](auto x, auto y) { return mul_op(x, y); });
  if (needs_tangent(a, b))
    set_tangent(out, a, [&](const Tensor& t) { return t * b; }, b, [&](const Tensor& t) { return a * t; });
  if (needs_record(a, b)) {
    auto node = make_node("MulBackward0", [](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? g * n.saved(1) : Tensor(), n.needs_input_grad(1) ? g * n.saved(0) : Tensor()};
    }, a, b);
    node->save(save_if(node->needs_input_grad(1), a), false);
    node->save(save_if(node->needs_input_grad(0), b), false);
    set_history(out, node);
  }
  return out;
}

Tensor mul(const Tensor& a, const Scalar& b) {
  Tensor out = scalar_map(a, b, result_type(a, b), [](auto x, auto y) { return mul_op(x, y); });
  if (needs_tangent(a)) set_tangent(out, a, [&](const Tensor& t) { return t * b; });
  if (needs_record(a)) {
    auto node = make_node("MulBackward1", [b](Node&, const Tensor& g) -> variable_list {
      if (scalar_map_over_gradient(g, b, [](auto x, auto y) { return mul_op(x, y); })) return {g};
      return {g * b};
    }, a);
    set_history(out, node);
  }
  return out;
}

// ---- div (true division: integers divide as floating point) ---------------------------------
Tensor div(const Tensor& a, const Tensor& b) {
  const ScalarType t = core::to_floating(result_type(a, b));
  Tensor out = kernels::visit_floating(t, "div", [&](auto) {
    return binary_map(a, b, t, [](auto x, auto y) { return x / y; });
  });
  intrusive_ptr<Node> node;
  if (needs_record(a, b)) {
    node = make_node("DivBackward0", [](Node& n, const Tensor& g) -> variable_list {
      Tensor other = n.saved(1);
      return {n.needs_input_grad(0) ? g / other : Tensor(),
              // (a / b) / b as libtorch: a / (b * b) overflows where the gradient does not.
              n.needs_input_grad(1) ? -g * (n.saved(0) / other / other) : Tensor()};
    }, a, b);
    node->save(save_if(node->needs_input_grad(1), a), false);
    node->save(b, false);
  }
  if (needs_tangent(a, b)) {
    const Tensor y = output_for_rule(out, node);
    set_tangent(out, a, [&](const Tensor& t) { return t / b; }, b, [&](const Tensor& t) { return -t * y / b; });
  }
  if (node) set_history(out, node);
  return out;
}

Tensor div(const Tensor& a, const Scalar& b) {
  const ScalarType t = core::to_floating(result_type(a, b));
  Tensor out = kernels::visit_floating(t, "div", [&](auto) {
    return scalar_map(a, b, t, [](auto x, auto y) { return x / y; });
  });
  if (needs_tangent(a)) set_tangent(out, a, [&](const Tensor& t) { return t / b; });
  if (needs_record(a)) {
    auto node = make_node("DivBackward1", [b](Node&, const Tensor& g) -> variable_list {
      if (scalar_map_over_gradient(g, b, [](auto x, auto y) { return x / y; })) return {g};
      return {g / b};
    }, a);
    set_history(out, node);
  }
  return out;
}

Tensor neg(const Tensor& a) {
  TG_CHECK(a.dtype() != kBool,
           "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use "
           "the `~` or `logical_not()` operator instead.");
  Tensor out = unary_map(a, a.dtype(), [](auto x) { return neg_op(x); });
  if (needs_tangent(a)) set_tangent(out, a, [](const Tensor& t) { return -t; });
  if (needs_record(a)) {
    auto node = make_node("NegBackward0", [](Node&, const Tensor& g) -> variable_list { return {-g}; }, a);
    set_history(out, node);
  }
  return out;
}

// ---- operators ------------------------------------------------------------------------------
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
// Scalar on the left of - and /: as libtorch's C++ operators, a tensor like b filled
// with the scalar, then the in-place op (so `2.5 - int_tensor` is int64 and
// `1 / int_tensor` raises, as there). For a floating b, `a - b` is one loop into
// a tensor like b, with the same rounding (a is rounded to b's dtype first) and
// the same node: the two passes took 1.5x libtorch's time on 512K floats.
Tensor operator-(const Scalar& a, const Tensor& b) {
  if (!b.is_floating_point()) return full_like(b, a).sub_(b);
  Tensor out = empty_like(b);
  kernels::visit_floating(b.dtype(), "sub", [&](auto tag) {
    using T = decltype(tag);
    const T v = a.to<T>();
    kernels::map<T, T>(out, [v](T x) { return v - x; }, b);
  });
  if (needs_tangent(b)) set_tangent(out, b, [](const Tensor& t) { return -t; });
  if (needs_record(b)) {
    // Two edges, as the in-place sub_: the filled tensor (no gradient) and b.
    auto node = make_node("SubBackward0", [](Node&, const Tensor& g) -> variable_list { return {Tensor(), -g}; },
                          Tensor(), b);
    set_history(out, node);
  }
  return out;
}
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator/(const Scalar& a, const Tensor& b) { return full_like(b, a).div_(b); }

// ---- Tensor methods ----------------------------------------------------------------------------
Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return tg::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const { return tg::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return tg::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const { return tg::sub(*this, o, alpha); }
Tensor Tensor::mul(const Tensor& o) const { return tg::mul(*this, o); }
Tensor Tensor::mul(const Scalar& o) const { return tg::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return tg::div(*this, o); }
Tensor Tensor::div(const Scalar& o) const { return tg::div(*this, o); }
Tensor Tensor::neg() const { return tg::neg(*this); }

}  // namespace tg
