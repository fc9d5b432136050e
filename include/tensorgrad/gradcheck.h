#pragma once
// [tg] gradcheck / gradgradcheck: compare the gradients autograd computes with
// central finite differences in float64, as PyTorch's torch.autograd.gradcheck.
//
//   auto r = tg::autograd::gradcheck([](const std::vector<Tensor>& x) { return x[0] * x[1]; }, {a, b});
//   EXPECT_TRUE(r) << r.message;
//
// fn takes `const std::vector<Tensor>&` (or a single Tensor when there is one
// input) and returns a Tensor or a std::vector<Tensor>. Inputs that require grad
// are the ones differentiated. Floating inputs and outputs must be float64;
// integer and bool inputs (indices, masks) are passed through as constants.
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "tensorgrad/autograd.h"
#include "tensorgrad/error.h"

namespace tg {
namespace autograd {

// The outcome of a check: `ok`, and when not, a message naming the first
// mismatch (input index and element, output element, analytic vs numerical).
struct GradcheckResult {
  bool ok = true;
  std::string message;
  explicit operator bool() const { return ok; }
};

using GradcheckFunction = std::function<variable_list(const variable_list&)>;

namespace detail {
template <class R>
variable_list as_output_list(R&& result) {
  if constexpr (std::is_convertible_v<R, Tensor>) {
    return {Tensor(std::forward<R>(result))};
  } else {
    return variable_list(result.begin(), result.end());
  }
}

template <class F>
GradcheckFunction as_gradcheck_function(F fn) {
  if constexpr (std::is_invocable_v<F&, const variable_list&>) {
    return [fn](const variable_list& inputs) mutable { return as_output_list(fn(inputs)); };
  } else {
    static_assert(std::is_invocable_v<F&, const Tensor&>,
                  "gradcheck: fn must take `const std::vector<Tensor>&` or a single Tensor");
    return [fn](const variable_list& inputs) mutable {
      TG_CHECK(inputs.size() == 1, "gradcheck: fn takes a single Tensor but ", inputs.size(), " inputs were given");
      return as_output_list(fn(inputs[0]));
    };
  }
}

GradcheckResult gradcheck(const GradcheckFunction& fn, const variable_list& inputs, double eps, double atol,
                          double rtol);
GradcheckResult gradgradcheck(const GradcheckFunction& fn, const variable_list& inputs,
                              const variable_list& grad_outputs, double eps, double atol, double rtol);
}  // namespace detail

// Checks d(outputs)/d(inputs) from backward against finite differences, element by
// element (|analytic - numerical| <= atol + rtol * |numerical|), and that a zero
// incoming gradient gives zero input gradients.
template <class F>
GradcheckResult gradcheck(F&& fn, const variable_list& inputs, double eps = 1e-6, double atol = 1e-5,
                          double rtol = 1e-3) {
  return detail::gradcheck(detail::as_gradcheck_function(std::forward<F>(fn)), inputs, eps, atol, rtol);
}
template <class F>
GradcheckResult gradcheck(F&& fn, const Tensor& input, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3) {
  return gradcheck(std::forward<F>(fn), variable_list{input}, eps, atol, rtol);
}

// Checks second derivatives: the gradient of fn's outputs against grad_outputs
// (computed with create_graph=true) is gradchecked as a function of the inputs and
// of grad_outputs. Without grad_outputs, fixed pseudo-random ones in [-1, 1) are used.
template <class F>
GradcheckResult gradgradcheck(F&& fn, const variable_list& inputs, double eps = 1e-6, double atol = 1e-5,
                              double rtol = 1e-3) {
  return detail::gradgradcheck(detail::as_gradcheck_function(std::forward<F>(fn)), inputs, {}, eps, atol, rtol);
}
template <class F>
GradcheckResult gradgradcheck(F&& fn, const Tensor& input, double eps = 1e-6, double atol = 1e-5,
                              double rtol = 1e-3) {
  return gradgradcheck(std::forward<F>(fn), variable_list{input}, eps, atol, rtol);
}
template <class F>
GradcheckResult gradgradcheck(F&& fn, const variable_list& inputs, const variable_list& grad_outputs,
                              double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3) {
  return detail::gradgradcheck(detail::as_gradcheck_function(std::forward<F>(fn)), inputs, grad_outputs, eps, atol,
                               rtol);
}

}  // namespace autograd
}  // namespace tg
