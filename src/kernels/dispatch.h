#pragma once
// Calling a generic lambda with a value of the C++ type behind a dtype:
//   visit(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
#include <cstdint>

#include "tensorgrad/error.h"
#include "tensorgrad/scalar_type.h"

namespace tg::kernels {

template <class F>
decltype(auto) visit(ScalarType t, F&& f) {
  switch (t) {
    case ScalarType::Float: return f(float{});
    case ScalarType::Double: return f(double{});
    case ScalarType::Long: return f(int64_t{});
    case ScalarType::Bool: return f(bool{});
    default: break;
  }
  TG_INTERNAL_ASSERT(false, "dtype ", t, " cannot be dispatched");
  return f(float{});
}

// Floating types only; `op` names the operation in the error for other dtypes.
template <class F>
decltype(auto) visit_floating(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f(float{});
    case ScalarType::Double: return f(double{});
    default: break;
  }
  throw Error(detail::str("\"", op, "\" not implemented for '", t, "'"));
}

// Numbers only (no bool), as libtorch's "all types" dispatch.
template <class F>
decltype(auto) visit_numeric(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case ScalarType::Float: return f(float{});
    case ScalarType::Double: return f(double{});
    case ScalarType::Long: return f(int64_t{});
    default: break;
  }
  throw Error(detail::str("\"", op, "\" not implemented for '", t, "'"));
}

}  // namespace tg::kernels
