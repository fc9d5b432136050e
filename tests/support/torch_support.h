#pragma once
// Helpers for the tests that compare with libtorch (tests/*_torch*.cpp).
#include <torch/torch.h>

#include "tensorgrad/scalar_type.h"

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

}  // namespace tg::testing
