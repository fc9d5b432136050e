#pragma once
// Helpers shared by the tests: comparing tensors with concrete expected values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tensorgrad/tensorgrad.h"

namespace tg::testing {

// The tensor's values as doubles, in row-major order.
std::vector<double> values(const Tensor& t);

// Asserts t has `shape` and, element by element, values within tol of `expected`.
::testing::AssertionResult tensor_near(const Tensor& t, std::vector<int64_t> shape, std::vector<double> expected,
                                       double tol = 1e-6);

// Runs fn and asserts it throws tg::Error (or a subclass) whose message contains `needle`.
template <class F>
::testing::AssertionResult throws_with(F&& fn, const std::string& needle) {
  try {
    fn();
  } catch (const tg::Error& e) {
    if (std::string(e.what()).find(needle) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message \"" << e.what() << "\" lacks \"" << needle << "\"";
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-tg exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw (expected \"" << needle << "\")";
}

// The kernels' thread count set to n for a scope and restored after it, also when
// an assertion ends the test early.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int n) : saved_(tg::get_num_threads()) { tg::set_num_threads(n); }
  ~ThreadCountScope() { tg::set_num_threads(saved_); }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int saved_;
};

}  // namespace tg::testing

#define EXPECT_TENSOR(t, shape, ...) EXPECT_TRUE(::tg::testing::tensor_near((t), shape, __VA_ARGS__))
#define EXPECT_THROW_MSG(stmt, needle) EXPECT_TRUE(::tg::testing::throws_with([&] { stmt; }, needle))
