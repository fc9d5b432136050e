#pragma once
// tg::Tensor: a value type with shared ownership of a strided view of storage,
// and the autograd entry points (requires_grad, grad, backward). Methods mirror
// libtorch 1.13's at::Tensor; the free functions are in tensorgrad/ops.h.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tensorgrad/array_ref.h"
#include "tensorgrad/intrusive_ptr.h"
#include "tensorgrad/scalar.h"
#include "tensorgrad/scalar_type.h"
#include "tensorgrad/tensor_impl.h"
#include "tensorgrad/tensor_options.h"

namespace tg {

class Tensor;
namespace autograd { struct Node; }
namespace indexing { class TensorIndex; }

using TensorList = ArrayRef<Tensor>;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(intrusive_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  Tensor(const Tensor&) = default;
  Tensor(Tensor&&) noexcept = default;
  ~Tensor() = default;
  // As in libtorch: assigning to a named tensor rebinds the handle; assigning to a
  // temporary, such as x[0] or x.index({...}), writes into the elements it views
  // (a Scalar fills them, a tensor is copied in with broadcasting).
  Tensor& operator=(const Tensor&) & = default;
  Tensor& operator=(Tensor&&) & noexcept = default;
  Tensor& operator=(const Scalar& value) && { return fill_(value); }
  Tensor& operator=(const Tensor& src) && { return copy_(src); }
  Tensor& operator=(Tensor&& src) && { return copy_(src); }

  // ---- identity and shape ------------------------------------------------
  bool defined() const { return static_cast<bool>(impl_); }
  TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }
  const intrusive_ptr<TensorImpl>& impl() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  int64_t use_count() const { return impl_.use_count(); }

  // The metadata of an undefined tensor raises tg::Error ("dim() called on an
  // undefined Tensor"), so that an op given one fails with a message, not a crash.
  int64_t dim() const { return checked("dim()").dim(); }
  int64_t ndimension() const { return dim(); }
  int64_t numel() const { return checked("numel()").numel; }
  IntArrayRef sizes() const { return checked("sizes()").sizes; }
  IntArrayRef strides() const { return checked("strides()").strides; }
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t storage_offset() const { return checked("storage_offset()").storage_offset; }
  bool is_contiguous() const { return checked("is_contiguous()").is_contiguous; }
  ScalarType dtype() const { return checked("dtype()").dtype; }
  ScalarType scalar_type() const { return checked("scalar_type()").dtype; }
  TensorOptions options() const { return TensorOptions(dtype()); }
  size_t element_size() const { return tg::element_size(dtype()); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  bool is_floating_point() const { return tg::is_floating_point(dtype()); }
  bool is_view_of(const Tensor& other) const;

  // ---- data access -------------------------------------------------------
  template <class T> T* data_ptr() const;
  void* data_ptr() const { return checked(nullptr).data(); }
  template <class T> T item() const;
  Scalar item() const;

  // ---- conversion and copies ---------------------------------------------
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(ScalarType dtype, bool non_blocking = false, bool copy = false) const;
  Tensor to(TensorOptions options, bool non_blocking = false, bool copy = false) const;
  Tensor detach() const;
  Tensor& detach_() const;

  // ---- autograd ----------------------------------------------------------
  bool requires_grad() const;
  const Tensor& requires_grad_(bool requires_grad = true) const;
  const Tensor& set_requires_grad(bool requires_grad) const;
  bool is_leaf() const;
  const Tensor& grad() const;
  Tensor& mutable_grad() const;
  void retain_grad() const;
  bool retains_grad() const;
  const intrusive_ptr<autograd::Node>& grad_fn() const;
  uint32_t output_nr() const;
  uint32_t _version() const { return checked("_version()").storage->version; }
  // [tg] drops the gradient (libtorch's equivalent: t.mutable_grad() = {}).
  void zero_grad() const;
  void backward(const Tensor& gradient = {}, optional<bool> retain_graph = nullopt,
                bool create_graph = false, optional<TensorList> inputs = nullopt) const;
  // fn takes the gradient and returns a replacement Tensor, or nothing.
  template <class F>
  unsigned register_hook(F&& fn) const;
  void remove_hook(unsigned pos) const;

  // ---- arithmetic (differentiable, broadcasting) --------------------------
  Tensor add(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor add(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor sub(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(const Scalar& other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(const Scalar& other) const;
  Tensor neg() const;
  Tensor pow(const Scalar& exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor square() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor reciprocal() const;
  Tensor erf() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor clamp(const optional<Scalar>& min, const optional<Scalar>& max = nullopt) const;
  Tensor clamp_min(const Scalar& min) const;
  Tensor clamp_max(const Scalar& max) const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;

  // ---- in-place (bump the version counter) --------------------------------
  // const as in libtorch: they change the data a Tensor handle points to, not the
  // handle, so `x.grad().zero_()` and edits of a `const Tensor&` compile.
  Tensor& add_(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor& add_(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor& sub_(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor& sub_(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor& mul_(const Tensor& other) const;
  Tensor& mul_(const Scalar& other) const;
  Tensor& div_(const Tensor& other) const;
  Tensor& div_(const Scalar& other) const;
  Tensor& zero_() const;
  Tensor& fill_(const Scalar& value) const;
  Tensor& fill_(const Tensor& value) const;
  Tensor& copy_(const Tensor& src, bool non_blocking = false) const;
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(const Scalar& other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(const Scalar& other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(const Scalar& other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(const Scalar& other) { return div_(other); }

  // ---- linear algebra -----------------------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor t() const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(IntArrayRef dims) const;
  Tensor mT() const;

  // ---- shape and views -----------------------------------------------------
  Tensor reshape(IntArrayRef shape) const;
  Tensor view(IntArrayRef shape) const;
  Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
  Tensor reshape_as(const Tensor& other) const { return reshape(other.sizes()); }
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(IntArrayRef size, bool implicit = false) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
  Tensor slice(int64_t dim = 0, optional<int64_t> start = nullopt, optional<int64_t> end = nullopt,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor index(ArrayRef<indexing::TensorIndex> indices) const;
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Tensor& value);
  Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Scalar& value);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value);
  Tensor index_select(int64_t dim, const Tensor& index) const;

  // ---- reductions -----------------------------------------------------------
  Tensor sum(optional<ScalarType> dtype = nullopt) const;
  Tensor sum(IntArrayRef dim, bool keepdim = false, optional<ScalarType> dtype = nullopt) const;
  Tensor mean(optional<ScalarType> dtype = nullopt) const;
  Tensor mean(IntArrayRef dim, bool keepdim = false, optional<ScalarType> dtype = nullopt) const;
  Tensor max() const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(IntArrayRef dim = {}, bool keepdim = false) const;
  Tensor amin(IntArrayRef dim = {}, bool keepdim = false) const;
  Tensor argmax(optional<int64_t> dim = nullopt, bool keepdim = false) const;
  Tensor argmin(optional<int64_t> dim = nullopt, bool keepdim = false) const;
  Tensor logsumexp(IntArrayRef dim, bool keepdim = false) const;
  Tensor softmax(int64_t dim, optional<ScalarType> dtype = nullopt) const;
  Tensor log_softmax(int64_t dim, optional<ScalarType> dtype = nullopt) const;

  // ---- comparisons (kBool results, no gradient) ------------------------------
  Tensor eq(const Tensor& other) const;
  Tensor eq(const Scalar& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor ne(const Scalar& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor lt(const Scalar& other) const;
  Tensor le(const Tensor& other) const;
  Tensor le(const Scalar& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor gt(const Scalar& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor ge(const Scalar& other) const;
  bool equal(const Tensor& other) const;
  bool allclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;

  Tensor operator-() const { return neg(); }
  Tensor operator~() const;
  std::string toString() const;

 private:
  // *impl_, or tg::Error naming the accessor `what` (nullptr: the data pointer).
  const TensorImpl& checked(const char* what) const {
    if (!impl_) [[unlikely]]
      throw_undefined(what);
    return *impl_;
  }
  [[noreturn]] static void throw_undefined(const char* what);
  unsigned register_hook_impl(std::function<Tensor(const Tensor&)> fn) const;
  intrusive_ptr<TensorImpl> impl_;
};

template <class F>
unsigned Tensor::register_hook(F&& fn) const {
  using R = std::invoke_result_t<F&, Tensor>;
  if constexpr (std::is_void_v<R>) {
    return register_hook_impl([f = std::forward<F>(fn)](const Tensor& g) mutable {
      f(g);
      return Tensor();
    });
  } else {
    return register_hook_impl(std::function<Tensor(const Tensor&)>(std::forward<F>(fn)));
  }
}

// ---- operators: tensors and scalars on either side ------------------------
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Scalar& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Scalar& b);

// Prints the values and a footer with the type and shape, as libtorch does.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace tg
