// Copies, conversions and fills: clone, contiguous, to(dtype), copy_, fill_,
// zero_, and the raw helpers every other op builds on.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/parallel.h"
#include "core/shape.h"
#include "kernels/dispatch.h"
#include "kernels/elementwise.h"
#include "ops/op_helpers.h"
#include "ops/ops_internal.h"

namespace tg {
using autograd::Node;
using autograd::variable_list;

namespace ops {

Tensor empty(IntArrayRef sizes, ScalarType dtype) { return Tensor(make_intrusive<TensorImpl>(dtype, sizes)); }

bool is_non_overlapping_and_dense(const Tensor& t) {
  if (t.is_contiguous()) return true;
  const int64_t nd = t.dim();
  DimVector order(nd, 0);
  for (int64_t d = 0; d < nd; ++d) order[d] = d;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return t.stride(a) < t.stride(b) || (t.stride(a) == t.stride(b) && t.size(a) < t.size(b));
  });
  int64_t expected = 1;
  for (int64_t d : order) {
    if (t.size(d) == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= t.size(d);
  }
  return true;
}

bool has_internal_overlap(const Tensor& t) {
  if (is_non_overlapping_and_dense(t)) return false;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.stride(d) == 0 && t.size(d) > 1) return true;
  return false;
}

Tensor empty_strided(IntArrayRef sizes, IntArrayRef strides, ScalarType dtype) {
  auto storage = make_intrusive<StorageImpl>(static_cast<size_t>(core::numel_of(sizes)) * element_size(dtype));
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

Tensor empty_like_layout(const Tensor& t) { return empty_strided(t.sizes(), t.strides(), t.dtype()); }

Tensor alias(const Tensor& t, IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  return Tensor(make_intrusive<TensorImpl>(t.impl()->storage, t.dtype(), sizes, strides, offset));
}

namespace {
// One element converted to O. A floating value no int64 holds (NaN, +-inf,
// |v| >= 2^63) converts to INT64_MIN, as x86's conversion instruction (and so
// libtorch) gives; a plain cast is undefined. A bool arrives as its byte (0 or
// 1): through a bool value, GCC 12 converted element by element (0.45 ms for 1M
// bools to float, 0.1 as bytes).
template <class O>
struct Convert {
  static constexpr bool kTilesTransposes = true;  // x.t().contiguous() (Note [Tiled transposes])
  template <class I>
  O operator()(I v) const {
    if constexpr (std::is_same_v<O, int64_t> && std::is_floating_point_v<I>)
      return v >= I(-0x1p63) && v < I(0x1p63) ? static_cast<O>(v) : std::numeric_limits<int64_t>::min();
    else
      return static_cast<O>(v);
  }
};
}  // namespace

void copy_raw(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() && dst.sizes().equals(src.sizes())) {
    if (dst.data_ptr() != src.data_ptr()) std::memcpy(dst.data_ptr(), src.data_ptr(), dst.nbytes());
    return;
  }
  kernels::visit(dst.dtype(), [&](auto out_tag) {
    using O = decltype(out_tag);
    kernels::visit(src.dtype(), [&](auto in_tag) {
      using I = decltype(in_tag);
      kernels::map<O, std::conditional_t<std::is_same_v<I, bool>, uint8_t, I>>(dst, Convert<O>(), src);
    });
  });
}

Tensor cast(const Tensor& t, ScalarType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty_elementwise(t.sizes(), dtype, {&t});
  copy_raw(out, t);
  return out;
}

Tensor contiguous_raw(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = empty(t.sizes(), t.dtype());
  copy_raw(out, t);
  return out;
}

void fill_raw(const Tensor& t, const Scalar& value) {
  kernels::visit(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = value.to<T>();
    if (t.is_contiguous()) {
      // In parallel, so that each thread writes the part of a gradient it wrote in
      // backward and read in the optimizer step (Note [Chunk affinity]).
      T* p = t.data_ptr<T>();
      core::parallel_for(t.numel(), affine_grain(t), [p, v](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) p[i] = v;
      });
    } else {
      kernels::map<T>(t, [v]() { return v; });
    }
  });
}

namespace {
bool covers_storage(const Tensor& t) {
  const TensorImpl& impl = *t.unsafeGetTensorImpl();
  return impl.storage_offset == 0 && t.nbytes() == impl.storage->nbytes;
}
}  // namespace

int64_t writer_blocks(const Tensor& t) {
  return covers_storage(t) ? t.unsafeGetTensorImpl()->storage->writer_blocks : 0;
}

int64_t affine_grain(const Tensor& t) {
  const int64_t blocks = writer_blocks(t);
  return blocks < 2 ? core::kElementwiseGrain : (t.numel() + blocks - 1) / blocks;
}

void set_writer_blocks(const Tensor& t, int64_t row_blocks) {
  if (covers_storage(t))
    t.unsafeGetTensorImpl()->storage->writer_blocks = static_cast<uint8_t>(std::min<int64_t>(row_blocks, 255));
}

Tensor scalar_tensor(const Scalar& s, ScalarType dtype) {
  Tensor t = empty({}, dtype);
  fill_raw(t, s);
  return t;
}

}  // namespace ops

// ---- Tensor accessors ------------------------------------------------------------------------
// libtorch's wording, from its undefined tensor's accessors.
void Tensor::throw_undefined(const char* what) {
  if (what == nullptr) throw Error("Cannot access data pointer of Tensor that doesn't have storage");
  throw Error(std::string(what) + " called on an undefined Tensor");
}

int64_t Tensor::size(int64_t d) const {
  return checked("size(dim)").sizes[core::wrap_dim(d, dim(), false)];
}
int64_t Tensor::stride(int64_t d) const {
  return checked("stride(dim)").strides[core::wrap_dim(d, dim(), false)];
}

bool Tensor::is_view_of(const Tensor& other) const {
  return checked("is_view_of()").storage == other.checked("is_view_of()").storage;
}

template <class T>
T* Tensor::data_ptr() const {
  const ScalarType expected = CppTypeToScalarType<T>::value;
  TG_CHECK_TYPE(expected == checked(nullptr).dtype, "expected scalar type ", expected, " but found ", dtype());
  return static_cast<T*>(impl_->data());
}
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template bool* Tensor::data_ptr<bool>() const;

Scalar Tensor::item() const {
  TG_CHECK(defined(), "item() called on an undefined Tensor");
  TG_CHECK(numel() == 1, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  return kernels::visit(dtype(), [&](auto tag) -> Scalar {
    using T = decltype(tag);
    return Scalar(*static_cast<const T*>(impl_->data()));
  });
}
// Checked as libtorch's Scalar::to: an int or float that cannot hold the value
// raises rather than wrapping (3e9 as an int) or overflowing to inf (1e300).
template <class T>
T Tensor::item() const {
  const Scalar value = item();
  if constexpr (std::is_same_v<T, int>) {
    const bool fits = value.isFloatingPoint() ? value.toDouble() >= std::numeric_limits<int>::lowest() &&
                                                    value.toDouble() <= std::numeric_limits<int>::max()
                                              : value.toLong() >= std::numeric_limits<int>::lowest() &&
                                                    value.toLong() <= std::numeric_limits<int>::max();
    TG_CHECK(fits, "value cannot be converted to type int without overflow");
  }
  return value.to<T>();
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template int Tensor::item<int>() const;
template bool Tensor::item<bool>() const;

// ---- differentiable copies -------------------------------------------------------------------
namespace {
// out (a new tensor of a's shape and dtype) = a, recorded as libtorch's clone.
template <class Tangent>
Tensor copy_recorded(const Tensor& a, Tensor out, const Tangent& tangent) {
  ops::copy_raw(out, a);
  if (ops::needs_tangent(a)) ops::set_tangent(out, a, tangent);
  if (autograd::needs_record(a)) {
    auto node = autograd::make_node("CloneBackward0", [](Node&, const Tensor& g) -> variable_list { return {g}; }, a);
    autograd::set_history(out, node);
  }
  return out;
}
}  // namespace

// libtorch's default memory format, preserve: a dense a's copy has its strides
// (Note [Elementwise output layout]).
Tensor clone(const Tensor& a) {
  return copy_recorded(a, ops::empty_elementwise(a.sizes(), a.dtype(), {&a}),
                       [](const Tensor& t) { return tg::clone(t); });
}

Tensor Tensor::clone() const { return tg::clone(*this); }

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return copy_recorded(*this, ops::empty(sizes(), dtype()), [](const Tensor& t) { return t.contiguous(); });
}

Tensor Tensor::to(ScalarType dtype, bool, bool copy) const {
  if (dtype == this->dtype() && !copy) return *this;
  Tensor out = ops::cast(*this, dtype);
  if (out.is_same(*this)) return tg::clone(*this);
  if (ops::needs_tangent(*this)) ops::set_tangent(out, *this, [dtype](const Tensor& t) { return t.to(dtype); });
  if (autograd::needs_record(*this) && tg::is_floating_point(dtype)) {
    // An integer or bool copy has no gradient: it simply does not require grad.
    auto node = autograd::make_node("ToCopyBackward0", [](Node&, const Tensor& g) -> variable_list { return {g}; }, *this);
    autograd::set_history(out, node);
  }
  return out;
}

Tensor Tensor::to(TensorOptions options, bool non_blocking, bool copy) const {
  Tensor out = to(options.has_dtype() ? options.dtype() : dtype(), non_blocking, copy);
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

// ---- in-place fills and copies -----------------------------------------------------------------
namespace {
// fill_ and zero_: libtorch 1.13 names the node of fill_(Scalar) FillBackward2 and
// that of zero_ ZeroBackward0; both send a zero gradient back.
Tensor& fill_recording(const Tensor& self, const Scalar& value, const char* node_name) {
  ops::check_inplace(self, ops::SelfOverlap::kAllowed);
  ops::bump_version(self);
  ops::fill_raw(self, value);
  if (ops::needs_tangent(self)) ops::set_tangent_from(self, [&self] { return zeros_like(self); });
  if (autograd::requires_grad(self) && GradMode::is_enabled()) {
    ++self.unsafeGetTensorImpl()->storage->history_version;  // Note [Views of a rebased tensor]
    auto node = autograd::make_node(node_name, [](Node&, const Tensor& g) -> variable_list {
      return {zeros_like(g)};
    }, self);
    autograd::set_history(self, node);
  }
  return ops::as_mutable(self);
}
}  // namespace

Tensor& Tensor::fill_(const Scalar& value) const { return fill_recording(*this, value, "FillBackward2"); }

Tensor& Tensor::zero_() const { return fill_recording(*this, 0, "ZeroBackward0"); }

// libtorch's fill_.Tensor: a 0-dim value, whose gradient, when it requires grad,
// is the sum of self's (a copy of the value expanded to self's shape).
Tensor& Tensor::fill_(const Tensor& value) const {
  TG_CHECK(value.defined(), "fill_(): the value is an undefined Tensor");
  TG_CHECK(value.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ", value.dim(),
           " dimensions.");
  if (autograd::needs_record(value) && is_floating_point()) return copy_(value.expand(sizes()));
  return fill_(value.item());
}

Tensor& Tensor::copy_(const Tensor& src, bool) const {
  ops::check_inplace(*this);
  TG_CHECK(src.defined(), "copy_(): the source is an undefined Tensor");
  // libtorch's wording: the broadcast of self and src, which must be self's shape.
  const DimVector shape = core::broadcast_shapes(sizes(), src.sizes());
  TG_CHECK(shape.ref().equals(sizes()), "output with shape ", sizes(), " doesn't match the broadcast shape ",
           shape.ref());
  // An integer or bool self takes no history, whatever src requires (libtorch
  // records only into differentiable types).
  const bool record = autograd::needs_record(*this, src) && is_floating_point();
  if (record) ops::check_view_may_record(*this);
  ops::bump_version(*this);
  // libtorch refuses a source that overlaps self; its values are copied first here,
  // as the binary in-place ops' operands are (a.copy_(a.t()) is a's transpose).
  ops::copy_raw(*this, ops::unaliased(*this, src));
  if (ops::needs_tangent(*this, src)) ops::set_tangent_from(*this, [&] { return ops::tangent_of(src); });
  if (record) {
    ++unsafeGetTensorImpl()->storage->history_version;  // Note [Views of a rebased tensor]
    auto node = autograd::make_node("CopyBackwards", [](Node&, const Tensor& g) -> variable_list {
      return {zeros_like(g), g};
    }, *this, src);
    autograd::set_history(*this, node);
  }
  return ops::as_mutable(*this);
}

}  // namespace tg
