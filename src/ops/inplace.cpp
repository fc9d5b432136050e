// In-place arithmetic: add_, sub_, mul_, div_. Without autograd they run the
// kernel directly on the tensor's memory; when a graph is recorded they compute
// the out-of-place op and take over its history (Note [In-place with autograd]).
#include "ops/op_helpers.h"

namespace tg {
namespace ops {

// Note [In-place on views]: libtorch rebases the history of a view's base
// (CopySlices) when a view of a tensor requiring grad is modified in place;
// tensorgrad refuses that case with a clear error instead of computing wrong
// gradients. In-place on such views under NoGradGuard (optimizer updates) works.
void check_inplace(const Tensor& self, SelfOverlap overlap) {
  TG_CHECK(self.defined(), "an in-place operation was called on an undefined Tensor");
  if (GradMode::is_enabled()) {
    if (const autograd::AutogradMeta* m = autograd::AutogradMeta::find(self)) {
      TG_CHECK(!(m->requires_grad && !m->grad_fn), autograd::messages::kLeafInplace);
      if (m->is_view) {
        TG_CHECK(!m->base_is_leaf, autograd::messages::kViewOfLeafInplace);
        throw NotImplementedError(
            "tensorgrad does not support in-place operations on a view of a tensor that requires grad (libtorch's "
            "CopySlices); apply the operation out of place, e.g. `y = x.clone(); y.mul_(2)` on the whole tensor");
      }
    }
  }
  // After the autograd checks, as libtorch. Elements sharing memory would make every
  // op but a fill apply once per alias (expand(3).add_(1) added 3).
  TG_CHECK(overlap != SelfOverlap::kRefused || !has_internal_overlap(self), kInternalOverlap);
}

// Note [In-place on views of tensors without grad]: an in-place op that records a
// node on a view of a tensor that does not require grad (`z = zeros({3}); z[0] =
// x.sum()`) gives the view a history; libtorch's CopySlices gives one to the base
// too, so that z requires grad and x's gradient flows through it. tensorgrad has
// no CopySlices, and the base kept no history: the gradient through z was silently
// lost. The op is refused instead, as on a view of a tensor that requires grad
// (check_inplace).
void check_view_may_record(const Tensor& self) {
  if (!self.unsafeGetTensorImpl()->is_view) return;
  throw NotImplementedError(
      "tensorgrad does not support writing a value that requires grad into a view of a tensor (libtorch's "
      "CopySlices would make the whole tensor require grad); build the tensor out of place instead, e.g. with "
      "tg::cat, tg::stack or tg::where");
}

// Note [In-place with autograd]: `result` was computed out of place from self's
// old value; self takes its values and its place in the graph.
//
// Note [Views of a rebased tensor]: a view taken of self before such an op still
// has the history of self's old value, and libtorch would rebuild it from self's
// new one. tensorgrad does not. Every view remembers the storage's
// history_version it was taken at (TensorImpl::view_history_version) and the op
// bumps the storage's: a stale view raises when autograd uses it, instead of
// sending its gradient down the old history (gradient_edge) or being taken for a
// constant when its base did not require grad (records_through).
void commit_inplace(const Tensor& self, const Tensor& result) {
  const autograd::AutogradMeta* m = autograd::AutogradMeta::find(result);
  if (m && m->grad_fn) check_view_may_record(self);
  bump_version(self);
  copy_raw(self, result);
  if (needs_tangent(result)) set_tangent(self, result, [](const Tensor& t) { return t; });
  if (m && m->grad_fn) {
    ++self.unsafeGetTensorImpl()->storage->history_version;
    autograd::AutogradMeta& sm = autograd::AutogradMeta::get_or_create(self.unsafeGetTensorImpl());
    if (sm.retains_grad && sm.grad_fn) sm.grad_fn->clear_retained(sm.output_nr, self.unsafeGetTensorImpl());
    set_history(self, m->grad_fn, m->output_nr);
    if (sm.retains_grad) m->grad_fn->set_retained(m->output_nr, self.unsafeGetTensorImpl());
  }
}

Tensor unaliased(const Tensor& self, const Tensor& other) {
  if (!other.is_view_of(self)) return other;
  if (other.storage_offset() == self.storage_offset() && other.sizes().equals(self.sizes()) &&
      other.strides().equals(self.strides()))
    return other;
  return contiguous_raw(clone(other.detach()));
}

}  // namespace ops

namespace {
using namespace ops;

// Whether a value of `from` may be written into a tensor of `to` (libtorch's canCast).
bool can_cast(ScalarType from, ScalarType to) {
  if (is_floating_point(from) && !is_floating_point(to)) return false;
  if (from != kBool && to == kBool) return false;
  return true;
}

void check_inplace_operand(const Tensor& self, const Tensor& other, ScalarType result) {
  TG_CHECK(can_cast(result, self.dtype()), "result type ", result, " can't be cast to the desired output type ",
           self.dtype());
  DimVector shape = core::broadcast_shapes(self.sizes(), other.sizes());
  TG_CHECK(shape.ref().equals(self.sizes()), "output with shape ", self.sizes(),
           " doesn't match the broadcast shape ", shape.ref());
}

// The operand an in-place op records for the backward. `x.mul_(x)` saves x, and x
// then takes the new node as its history: saving x itself would make x own a node
// that owns x (a leak). An alias of x with x's old history keeps the graph acyclic,
// as libtorch's SavedVariable keeps data and grad_fn apart; its shared version
// counter still makes the backward raise, as libtorch's does.
Tensor recorded_operand(const Tensor& self, const Tensor& other) {
  if (!other.is_same(self)) return other;
  Tensor a = alias(self, self.sizes(), self.strides(), self.storage_offset());
  if (const autograd::AutogradMeta* m = autograd::AutogradMeta::find(self); m && m->grad_fn)
    set_history(a, m->grad_fn, m->output_nr);
  return a;
}

// self = op(self, other) computed in self's dtype, in place.
template <class Op>
void apply_inplace(const Tensor& self, const Tensor& other, const Op& op) {
  const ScalarType t = self.dtype();
  Tensor o = cast(unaliased(self, other), t);
  kernels::visit(t, [&](auto tag) {
    using T = decltype(tag);
    kernels::map<T, T, T>(self, [&op](T x, T y) { return static_cast<T>(op(x, y)); }, self, o);
  });
}

template <class Op>
void apply_inplace_scalar(const Tensor& self, const Scalar& s, const Op& op) {
  kernels::visit(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = wrapped_number<T>(s);
    kernels::map<T, T>(self, [&op, v](T x) { return static_cast<T>(op(x, v)); }, self);
  });
}

// Whether an in-place op can run its kernel in self's type straight away: an
// operand of another dtype is computed in the promoted type first (a float64
// operand of a float32 tensor: x.div_(1e39 as double) is 1e-39, not 0), and an
// alpha other than the integer 1 goes through add's checks and rounding, as out
// of place.
bool same_dtype_operand(const Tensor& self, const Tensor& other) { return other.dtype() == self.dtype(); }
bool alpha_is_one(const Tensor& self, const Scalar& alpha) {
  if (alpha.isFloatingPoint()) return self.is_floating_point() && alpha.toDouble() == 1.0;
  return alpha.isIntegral(false) && alpha.toLong() == 1;
}

template <class T>
T wrap_add(T x, T y) {
  if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>) return x || y;
  else return x + y;
}
template <class T>
T wrap_mul(T x, T y) {
  if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
  else if constexpr (std::is_same_v<T, bool>) return x && y;
  else return x * y;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) const {
  check_inplace_operand(*this, other, result_type(*this, other));
  check_inplace(*this);
  if (needs_record(*this, other) || !same_dtype_operand(*this, other) || !alpha_is_one(*this, alpha)) {
    commit_inplace(*this, tg::add(*this, other, alpha));
    return as_mutable(*this);
  }
  bump_version(*this);
  apply_inplace(*this, other, [](auto x, auto y) { return wrap_add(x, y); });
  return as_mutable(*this);
}

Tensor& Tensor::add_(const Scalar& other, const Scalar& alpha) const {
  if (needs_record(*this) || !alpha_is_one(*this, alpha)) {
    // add's alpha checks and scaling, then the cast into self.
    Tensor result = tg::add(*this, other, alpha);
    TG_CHECK(can_cast(result.dtype(), dtype()), "result type ", result.dtype(),
             " can't be cast to the desired output type ", dtype());
    check_inplace(*this);
    commit_inplace(*this, result);
    return as_mutable(*this);
  }
  TG_CHECK(can_cast(result_type(*this, other), dtype()), "result type ", result_type(*this, other),
           " can't be cast to the desired output type ", dtype());
  check_inplace(*this);
  bump_version(*this);
  apply_inplace_scalar(*this, other, [](auto x, auto y) { return wrap_add(x, y); });
  return as_mutable(*this);
}

// sub's checks (no bool operands) and, with autograd, sub's node (SubBackward0/1);
// otherwise the kernel of add_.
Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) const {
  if (dtype() == kBool || other.dtype() == kBool || needs_record(*this, other) || !alpha_is_one(*this, alpha)) {
    check_inplace_operand(*this, other, result_type(*this, other));
    check_inplace(*this);
    commit_inplace(*this, tg::sub(*this, other, alpha));
    return as_mutable(*this);
  }
  return add_(other, -alpha);
}
Tensor& Tensor::sub_(const Scalar& other, const Scalar& alpha) const {
  if (dtype() == kBool || other.isBoolean() || needs_record(*this)) {
    TG_CHECK(can_cast(result_type(*this, other), dtype()), "result type ", result_type(*this, other),
             " can't be cast to the desired output type ", dtype());
    check_inplace(*this);
    commit_inplace(*this, tg::sub(*this, other, alpha));
    return as_mutable(*this);
  }
  return add_(-other, alpha);
}

Tensor& Tensor::mul_(const Tensor& other) const {
  check_inplace_operand(*this, other, result_type(*this, other));
  if (needs_record(*this, other)) {
    check_inplace(*this);
    // mul's backward for `other` needs self's old value: keep a copy of it.
    Tensor old = autograd::requires_grad(other) ? tg::clone(*this) : *this;
    commit_inplace(*this, tg::mul(old, recorded_operand(*this, other)));
    return as_mutable(*this);
  }
  check_inplace(*this);
  if (!same_dtype_operand(*this, other)) {
    commit_inplace(*this, tg::mul(*this, other));
    return as_mutable(*this);
  }
  bump_version(*this);
  apply_inplace(*this, other, [](auto x, auto y) { return wrap_mul(x, y); });
  return as_mutable(*this);
}

Tensor& Tensor::mul_(const Scalar& other) const {
  TG_CHECK(can_cast(result_type(*this, other), dtype()), "result type ", result_type(*this, other),
           " can't be cast to the desired output type ", dtype());
  if (needs_record(*this)) {
    check_inplace(*this);
    commit_inplace(*this, tg::mul(*this, other));
    return as_mutable(*this);
  }
  check_inplace(*this);
  bump_version(*this);
  apply_inplace_scalar(*this, other, [](auto x, auto y) { return wrap_mul(x, y); });
  return as_mutable(*this);
}

Tensor& Tensor::div_(const Tensor& other) const {
  check_inplace_operand(*this, other, core::to_floating(result_type(*this, other)));
  if (needs_record(*this, other)) {
    check_inplace(*this);
    Tensor old = autograd::requires_grad(other) ? tg::clone(*this) : *this;
    commit_inplace(*this, tg::div(old, recorded_operand(*this, other)));
    return as_mutable(*this);
  }
  check_inplace(*this);
  if (!same_dtype_operand(*this, other)) {
    commit_inplace(*this, tg::div(*this, other));
    return as_mutable(*this);
  }
  bump_version(*this);
  apply_inplace(*this, other, [](auto x, auto y) { return x / y; });
  return as_mutable(*this);
}

Tensor& Tensor::div_(const Scalar& other) const {
  TG_CHECK(can_cast(core::to_floating(result_type(*this, other)), dtype()), "result type ",
           core::to_floating(result_type(*this, other)), " can't be cast to the desired output type ", dtype());
  if (needs_record(*this)) {
    check_inplace(*this);
    commit_inplace(*this, tg::div(*this, other));
    return as_mutable(*this);
  }
  check_inplace(*this);
  bump_version(*this);
  apply_inplace_scalar(*this, other, [](auto x, auto y) { return x / y; });
  return as_mutable(*this);
}

}  // namespace tg
