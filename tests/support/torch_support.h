#pragma once
// Helpers for the tests that compare with libtorch (tests/*_torch*.cpp).
#include <torch/torch.h>

#include "tensorgrad/scalar_type.h"
#include "tensorgrad/tensor.h"

namespace tg::testing {

// tensorgrad's dtype for a libtorch dtype; Undefined for those tensorgrad lacks.
inline ScalarType from_torch(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return kFloat;
    case torch::kDouble: return kDouble;
    case torch::kLong: return kLong;
    case torch::kBool: return kBool;
    default: return ScalarType::Undefined;
  }
}

// libtorch's dtype for a tensorgrad dtype.
inline torch::ScalarType to_torch(ScalarType t) {
  return t == kFloat ? torch::kFloat : t == kDouble ? torch::kDouble : t == kLong ? torch::kLong : torch::kBool;
}

// A libtorch tensor holding t's elements, bit for bit (contiguous, its own memory).
inline torch::Tensor to_torch(const Tensor& t) {
  const Tensor c = t.contiguous();
  return torch::from_blob(c.data_ptr(), c.sizes().vec(), to_torch(c.dtype())).clone();
}

}  // namespace tg::testing
