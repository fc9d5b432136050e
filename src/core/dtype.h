#pragma once
// libtorch's type promotion for an operation's operands: dimensioned tensors decide
// the result unless a zero-dim tensor or a scalar is of a higher category
// (bool < integer < floating).
#include "tensorgrad/scalar.h"
#include "tensorgrad/tensor.h"

namespace tg::core {

class ResultType {
 public:
  ResultType& add(const Tensor& t);
  ResultType& add(const Scalar& s);
  ScalarType get() const;

 private:
  ScalarType dim_ = ScalarType::Undefined;
  ScalarType zero_ = ScalarType::Undefined;
  ScalarType wrapped_ = ScalarType::Undefined;
};

// The floating type an integer or bool input is computed in (exp, sqrt, division).
inline ScalarType to_floating(ScalarType t) { return is_floating_point(t) ? t : get_default_dtype(); }

}  // namespace tg::core
