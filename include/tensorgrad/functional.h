#pragma once
// [tg] Functional transforms over tensorgrad's autograd: vector-Jacobian products,
// Jacobians and Hessians (reverse mode; forward mode is in forward_ad.h). `fn`
// takes and returns std::vector<Tensor>; the single-Tensor overloads are for the
// common case of one input and one output.
#include <functional>
#include <utility>
#include <vector>

#include "tensorgrad/autograd.h"
#include "tensorgrad/forward_ad.h"

namespace tg::autograd {

using VectorFunction = std::function<variable_list(const variable_list&)>;
using TensorFunction = std::function<Tensor(const Tensor&)>;

// (outputs, vᵀJ): fn at `primals`, and the gradient of sum(outputs · cotangents)
// with respect to each primal (zeros where it does not depend on it; undefined
// for integer primals). Cotangents may be omitted when every output has one element.
std::pair<variable_list, variable_list> vjp(const VectorFunction& fn, const variable_list& primals,
                                            const variable_list& cotangents = {});
std::pair<Tensor, Tensor> vjp(const TensorFunction& fn, const Tensor& primal, const Tensor& cotangent = {});

namespace functional {

// d output / d input, of shape output.sizes() + input.sizes(); for several, J[i][j]
// is the Jacobian of output i with respect to input j.
Tensor jacobian(const TensorFunction& fn, const Tensor& x);
std::vector<variable_list> jacobian(const VectorFunction& fn, const variable_list& xs);

// Second derivatives of a one-element output, of shape x.sizes() + x.sizes(); for
// several inputs, H[i][j] = d²f / dx_i dx_j.
Tensor hessian(const TensorFunction& fn, const Tensor& x);
std::vector<variable_list> hessian(const std::function<Tensor(const variable_list&)>& fn, const variable_list& xs);

}  // namespace functional
}  // namespace tg::autograd
