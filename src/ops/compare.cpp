// Comparisons (kBool results, no gradient), where, maximum/minimum, equal, allclose.
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

template <class Op>
Tensor compare(const Tensor& a, const Tensor& b, const Op& op) {
  return binary_map<true>(a, b, result_type(a, b), op);
}
template <class Op>
Tensor compare(const Tensor& a, const Scalar& b, const Op& op) {
  return scalar_map<true>(a, b, result_type(a, b), op);
}

// c ? x : y through a mask of the bits. Written as `c ? x : y`, GCC loads x only
// where c holds, and a loop of such masked loads of 8-byte elements under a byte
// condition is not vectorised (GCC 12).
template <class T>
inline T select(uint8_t c, T x, T y) {
  using Bits = std::conditional_t<sizeof(T) == 8, uint64_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint8_t>>;
  const Bits mask = Bits(0) - Bits(c);
  return std::bit_cast<T>(Bits((std::bit_cast<Bits>(x) & mask) | (std::bit_cast<Bits>(y) & ~mask)));
}

}  // namespace

#define TG_COMPARISON(NAME, OPERATOR, EXPR)                                                          \
  Tensor NAME(const Tensor& a, const Tensor& b) { return compare(a, b, [](auto x, auto y) { return EXPR; }); } \
  Tensor NAME(const Tensor& a, const Scalar& b) { return compare(a, b, [](auto x, auto y) { return EXPR; }); } \
  Tensor Tensor::NAME(const Tensor& other) const { return tg::NAME(*this, other); }                  \
  Tensor Tensor::NAME(const Scalar& other) const { return tg::NAME(*this, other); }                  \
  Tensor operator OPERATOR(const Tensor& a, const Tensor& b) { return tg::NAME(a, b); }              \
  Tensor operator OPERATOR(const Tensor& a, const Scalar& b) { return tg::NAME(a, b); }
TG_COMPARISON(eq, ==, x == y)
TG_COMPARISON(ne, !=, x != y)
TG_COMPARISON(lt, <, x < y)
TG_COMPARISON(le, <=, x <= y)
TG_COMPARISON(gt, >, x > y)
TG_COMPARISON(ge, >=, x >= y)
#undef TG_COMPARISON

// ---- where ----------------------------------------------------------------------------------
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  TG_CHECK(condition.dtype() == kBool, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
           condition.dtype());
  const ScalarType t = result_type(a, b);
  // In libtorch's order (condition, then a, then b), which its error message follows.
  DimVector shape = core::broadcast_shapes(core::broadcast_shapes(condition.sizes(), a.sizes()), b.sizes());
  Tensor out = empty_elementwise(shape, t, {&condition, &a, &b});
  kernels::visit(t, [&](auto tag) {
    using T = decltype(tag);
    const Tensor ac = cast(a, t), bc = cast(b, t);
    // The condition is read as bytes: GCC does not vectorise a loop that loads
    // bools, and branched on each element instead, mispredicting half of a mixed
    // condition (4.3 ms for 1M floats, 0.2 ms as bytes). A one-element operand
    // (where(c, g, 0) in backward formulas) is passed as a value: a broadcast one
    // would take the kernel's strided loop.
    using Byte = uint8_t;
    if (bc.numel() == 1) {
      const T y = *bc.data_ptr<T>();
      if (ac.numel() == 1) {
        const T x = *ac.data_ptr<T>();
        return kernels::map<T, Byte>(out, [x, y](Byte c) { return select(c, x, y); }, condition);
      }
      return kernels::map<T, Byte, T>(out, [y](Byte c, T x) { return select(c, x, y); }, condition, ac);
    }
    if (ac.numel() == 1) {
      const T x = *ac.data_ptr<T>();
      return kernels::map<T, Byte, T>(out, [x](Byte c, T y) { return select(c, x, y); }, condition, bc);
    }
    kernels::map<T, Byte, T, T>(out, [](Byte c, T x, T y) { return select(c, x, y); }, condition, ac, bc);
  });
  if (needs_tangent(a, b))
    set_tangent(out, a, [&](const Tensor& t) { return where(condition, t, 0); }, b,
                [&](const Tensor& t) { return where(condition, 0, t); });
  if (needs_record(a, b)) {
    // The unselected branch gets an exact zero (not grad * 0), so an infinite or
    // NaN gradient there never leaks into the selected one.
    auto node = make_node("WhereBackward0", [](Node& n, const Tensor& g) -> variable_list {
      Tensor c = n.saved(0);
      return {n.needs_input_grad(0) ? where(c, g, 0) : Tensor(), n.needs_input_grad(1) ? where(c, 0, g) : Tensor()};
    }, a, b);
    node->save(condition, false);
    set_history(out, node);
  }
  return out;
}

Tensor where(const Tensor& condition, const Scalar& a, const Tensor& b) {
  return where(condition, scalar_tensor(a, core::ResultType().add(b).add(a).get()), b);
}
Tensor where(const Tensor& condition, const Tensor& a, const Scalar& b) {
  return where(condition, a, scalar_tensor(b, core::ResultType().add(a).add(b).get()));
}
Tensor where(const Tensor& condition, const Scalar& a, const Scalar& b) {
  ScalarType t = core::ResultType().add(a).add(b).get();
  return where(condition, scalar_tensor(a, t), scalar_tensor(b, t));
}

// ---- maximum / minimum (NaN propagates; ties split the gradient in half) ---------------------
// As libtorch's formula, an operand gets the gradient unless it loses: where either
// is NaN, neither loses and both get it.
namespace {
template <bool Max>
Tensor extremum(const Tensor& a, const Tensor& b, const char* name) {
  const ScalarType t = result_type(a, b);
  Tensor out = binary_map(a, b, t, [](auto x, auto y) {
    if constexpr (std::is_floating_point_v<decltype(x)>) {
      if (std::isnan(x)) return x;
      if (std::isnan(y)) return y;
    }
    return Max ? (x > y ? x : y) : (x < y ? x : y);
  });
  // The backward's split, applied to the tangents: the winner's, or the mean on a tie.
  if (needs_tangent(a, b)) {
    auto share = [](const Tensor& t, const Tensor& lose, const Tensor& tie) { return where(lose, 0, where(tie, t / 2, t)); };
    set_tangent(out, a, [&](const Tensor& t) { return share(t, Max ? a < b : a > b, a == b); }, b,
                [&](const Tensor& t) { return share(t, Max ? a > b : a < b, a == b); });
  }
  if (needs_record(a, b)) {
    auto node = make_node(name, [](Node& n, const Tensor& g) -> variable_list {
      Tensor x = n.saved(0), y = n.saved(1);
      Tensor shared = where(x == y, g / 2, g);
      variable_list r(2);
      if (n.needs_input_grad(0)) r[0] = where(Max ? x < y : x > y, 0, shared);
      if (n.needs_input_grad(1)) r[1] = where(Max ? x > y : x < y, 0, shared);
      return r;
    }, a, b);
    node->save(a, false);
    node->save(b, false);
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum<true>(a, b, "MaximumBackward0"); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum<false>(a, b, "MinimumBackward0"); }

// ---- whole-tensor comparisons ------------------------------------------------------------------
bool equal(const Tensor& a, const Tensor& b) {
  if (!a.sizes().equals(b.sizes())) return false;
  const Tensor e = contiguous_raw(eq(a, b));
  const bool* p = e.data_ptr<bool>();
  for (int64_t i = 0; i < e.numel(); ++i)
    if (!p[i]) return false;
  return true;
}

// libtorch's isclose, element by element: equal values (and NaNs, with
// equal_nan), or a finite difference within atol + |rtol * b|, both computed in
// the tensors' type (integers and bools: the difference in theirs, the allowance
// in float). So an infinity is close only to itself.
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  TG_CHECK(a.dtype() == b.dtype(), a.dtype(), " did not match ", b.dtype());
  const bool tolerant = rtol != 0 || atol != 0;
  Tensor close = binary_map<true>(a, b, a.dtype(), [=](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      if (x == y || (equal_nan && std::isnan(x) && std::isnan(y))) return true;
      const T actual = std::abs(x - y);
      return tolerant && std::isfinite(actual) && actual <= static_cast<T>(atol) + std::abs(static_cast<T>(rtol) * y);
    } else {
      if (x == y) return true;
      const float allowed = static_cast<float>(atol) + std::abs(static_cast<float>(rtol) * static_cast<float>(y));
      if constexpr (std::is_same_v<T, bool>) return tolerant && 1.0f <= allowed;
      else {  // int64 wraps, as libtorch's |x - y|
        const uint64_t diff = static_cast<uint64_t>(x) - static_cast<uint64_t>(y);
        const auto actual = static_cast<int64_t>(static_cast<int64_t>(diff) < 0 ? 0 - diff : diff);
        return tolerant && static_cast<float>(actual) <= allowed;
      }
    }
  });
  Tensor c = contiguous_raw(close);
  const bool* p = c.data_ptr<bool>();
  for (int64_t i = 0; i < c.numel(); ++i)
    if (!p[i]) return false;
  return true;
}

bool Tensor::equal(const Tensor& other) const { return tg::equal(*this, other); }
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return tg::allclose(*this, other, rtol, atol, equal_nan);
}

Tensor Tensor::maximum(const Tensor& other) const { return tg::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return tg::minimum(*this, other); }

}  // namespace tg
