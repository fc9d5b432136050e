#include "core/dtype.h"

#include "tensorgrad/ops.h"

namespace tg::core {
namespace {
ScalarType combine_categories(ScalarType higher, ScalarType lower) {
  if (is_floating_point(higher)) return higher;
  if (higher == kBool || is_floating_point(lower)) return promote_types(higher, lower);
  if (higher != ScalarType::Undefined) return higher;
  return lower;
}
}  // namespace

ResultType& ResultType::add(const Tensor& t) {
  if (t.dim() > 0) dim_ = promote_types(dim_, t.dtype());
  else zero_ = promote_types(zero_, t.dtype());
  return *this;
}

ResultType& ResultType::add(const Scalar& s) {
  ScalarType t = s.isFloatingPoint() ? get_default_dtype() : s.type();
  wrapped_ = promote_types(wrapped_, t);
  return *this;
}

ScalarType ResultType::get() const { return combine_categories(dim_, combine_categories(zero_, wrapped_)); }

}  // namespace tg::core

namespace tg {
ScalarType result_type(const Tensor& a, const Tensor& b) {
  if (a.dtype() == b.dtype()) return a.dtype();  // the common case, without the category rules
  return core::ResultType().add(a).add(b).get();
}
ScalarType result_type(const Tensor& a, const Scalar& b) { return core::ResultType().add(a).add(b).get(); }
}  // namespace tg
