#include "support/test_support.h"

#include <cmath>
#include <sstream>

namespace tg::testing {

std::vector<double> values(const Tensor& t) {
  Tensor c = t.detach().to(kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

::testing::AssertionResult tensor_near(const Tensor& t, std::vector<int64_t> shape, std::vector<double> expected,
                                       double tol) {
  if (!t.defined()) return ::testing::AssertionFailure() << "tensor is undefined";
  if (t.sizes().vec() != shape) {
    std::ostringstream os;
    os << "shape " << t.sizes() << " != expected " << IntArrayRef(shape);
    return ::testing::AssertionFailure() << os.str();
  }
  std::vector<double> v = values(t);
  if (v.size() != expected.size())
    return ::testing::AssertionFailure() << v.size() << " values but " << expected.size() << " expected";
  for (size_t i = 0; i < v.size(); ++i) {
    const bool both_nan = std::isnan(v[i]) && std::isnan(expected[i]);
    if (!both_nan && !(std::abs(v[i] - expected[i]) <= tol * std::max(1.0, std::abs(expected[i]))) &&
        v[i] != expected[i])
      return ::testing::AssertionFailure() << "element " << i << ": " << v[i] << " != expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tg::testing
