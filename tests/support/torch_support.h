#pragma once
// Helpers for the tests that compare with libtorch (tests/*_torch*.cpp).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "support/test_support.h"
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

// t's elements as doubles, in row-major order.
inline std::vector<double> torch_values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Same definedness, shape, dtype and values as libtorch's result: each element
// within rtol * max(1, |libtorch's|), NaN where libtorch has NaN.
inline ::testing::AssertionResult matches_torch(const Tensor& got, const torch::Tensor& expected, double rtol) {
  if (got.defined() != expected.defined())
    return ::testing::AssertionFailure() << "defined: " << got.defined() << " vs libtorch " << expected.defined();
  if (!got.defined()) return ::testing::AssertionSuccess();
  if (got.sizes().vec() != expected.sizes().vec()) {
    std::ostringstream os;
    os << "shape " << got.sizes() << " vs libtorch " << expected.sizes();
    return ::testing::AssertionFailure() << os.str();
  }
  if (got.dtype() != from_torch(expected.scalar_type()))
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " vs libtorch " << expected.scalar_type();
  const std::vector<double> a = values(got), b = torch_values(expected);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (a[i] == b[i] || std::abs(a[i] - b[i]) <= rtol * std::max(1.0, std::abs(b[i]))) continue;
    return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs libtorch " << b[i]
                                         << " (difference " << a[i] - b[i] << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tg::testing
