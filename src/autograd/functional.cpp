// vjp, jacobian and hessian: fn runs on fresh leaves (detached copies of the
// inputs that require grad), so the transforms never touch the callers' tensors'
// gradients and see only the dependence on the inputs given.
#include "tensorgrad/functional.h"
#include "tensorgrad/ops.h"

namespace tg::autograd {
namespace {

variable_list fresh_leaves(const variable_list& xs, const char* who) {
  variable_list leaves;
  for (size_t i = 0; i < xs.size(); ++i) {
    TG_CHECK(xs[i].defined(), who, ": input ", i, " is undefined");
    Tensor leaf = xs[i].detach();
    if (leaf.is_floating_point()) leaf.requires_grad_(true);
    leaves.push_back(std::move(leaf));
  }
  return leaves;
}

// d(sum of outputs · cotangents) / d(leaves), undefined where nothing arrives.
variable_list gradients(const variable_list& outputs, const variable_list& cotangents, const variable_list& leaves,
                        bool create_graph) {
  variable_list roots, root_grads, inputs;
  for (size_t k = 0; k < outputs.size(); ++k)
    if (outputs[k].requires_grad()) {
      roots.push_back(outputs[k]);
      root_grads.push_back(cotangents[k]);
    }
  for (const Tensor& x : leaves)
    if (x.requires_grad()) inputs.push_back(x);
  variable_list result(leaves.size());
  if (roots.empty() || inputs.empty()) return result;
  variable_list g = grad(roots, inputs, root_grads, true, create_graph, true);
  for (size_t i = 0, k = 0; i < leaves.size(); ++i)
    if (leaves[i].requires_grad()) result[i] = std::move(g[k++]);
  return result;
}

}  // namespace

std::pair<variable_list, variable_list> vjp(const VectorFunction& fn, const variable_list& primals,
                                            const variable_list& cotangents) {
  AutoGradMode grad_mode(true);
  const variable_list leaves = fresh_leaves(primals, "vjp");
  variable_list outputs = fn(leaves);
  TG_CHECK(cotangents.empty() || cotangents.size() == outputs.size(), "vjp: expected ", outputs.size(),
           " cotangents (one per output), but got ", cotangents.size());
  variable_list v;
  for (size_t k = 0; k < outputs.size(); ++k) {
    TG_CHECK(outputs[k].defined(), "vjp: output ", k, " of the function is undefined");
    Tensor c = cotangents.empty() ? Tensor() : cotangents[k];
    if (c.defined()) {
      TG_CHECK(c.sizes().equals(outputs[k].sizes()), "vjp: cotangent ", k, " has shape ", c.sizes(), " but output ",
               k, " has shape ", outputs[k].sizes());
    } else {
      TG_CHECK(outputs[k].numel() == 1, "vjp: output ", k, " has ", outputs[k].numel(),
               " elements, so its cotangent must be given (only one-element outputs may omit it)");
      c = ones_like(outputs[k]);
    }
    v.push_back(std::move(c));
  }
  variable_list g = gradients(outputs, v, leaves, false);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined() && primals[i].is_floating_point()) g[i] = zeros_like(primals[i]);
  for (Tensor& out : outputs) out = out.detach();
  return {outputs, g};
}

std::pair<Tensor, Tensor> vjp(const TensorFunction& fn, const Tensor& primal, const Tensor& cotangent) {
  auto [outputs, g] = vjp([&fn](const variable_list& x) -> variable_list { return {fn(x[0])}; }, {primal},
                          cotangent.defined() ? variable_list{cotangent} : variable_list{});
  return {outputs[0], g[0]};
}

namespace functional {

// Row r of d out_i / d x_j is the gradient of out_i's element r: one backward per
// output element (reverse mode), the rows stacked and shaped out.sizes() + x.sizes().
std::vector<variable_list> jacobian(const VectorFunction& fn, const variable_list& xs) {
  AutoGradMode grad_mode(true);
  const variable_list leaves = fresh_leaves(xs, "jacobian");
  const variable_list outputs = fn(leaves);
  std::vector<variable_list> J(outputs.size(), variable_list(xs.size()));
  // A block is a gradient with respect to x_j: x_j's dtype, as libtorch's, also
  // when it is all zeros.
  auto block_dtype = [&xs](size_t j, const Tensor& out) { return xs[j].is_floating_point() ? xs[j].dtype() : out.dtype(); };
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    TG_CHECK(out.defined(), "jacobian: output ", i, " of the function is undefined");
    const int64_t m = out.numel();
    std::vector<variable_list> rows(xs.size());
    for (int64_t r = 0; r < m && out.requires_grad(); ++r) {
      Tensor one_hot = (arange(m) == r).to(out.dtype()).reshape(out.sizes());
      variable_list g = gradients({out}, {one_hot}, leaves, false);
      for (size_t j = 0; j < xs.size(); ++j)
        if (g[j].defined()) rows[j].push_back(g[j].reshape({-1}));
        else rows[j].push_back(zeros({xs[j].numel()}, block_dtype(j, out)));
    }
    for (size_t j = 0; j < xs.size(); ++j) {
      DimVector shape(out.sizes());
      for (int64_t s : xs[j].sizes()) shape.push_back(s);
      J[i][j] = rows[j].empty() || xs[j].numel() == 0 ? zeros(shape, block_dtype(j, out)) : stack(rows[j]).reshape(shape);
    }
  }
  return J;
}

Tensor jacobian(const TensorFunction& fn, const Tensor& x) {
  return jacobian([&fn](const variable_list& v) -> variable_list { return {fn(v[0])}; }, variable_list{x})[0][0];
}

// The Jacobian of the gradient, the gradient computed with create_graph.
std::vector<variable_list> hessian(const std::function<Tensor(const variable_list&)>& fn, const variable_list& xs) {
  return jacobian([&fn](const variable_list& x) -> variable_list {
    Tensor y = fn(x);
    TG_CHECK(y.defined() && y.numel() == 1, "hessian: the function must return a one-element tensor, but it returned "
             "one of shape ", y.defined() ? y.sizes() : IntArrayRef());
    variable_list g = gradients({y}, {ones_like(y)}, x, true);
    for (size_t i = 0; i < g.size(); ++i)
      if (!g[i].defined()) g[i] = zeros_like(x[i]);
    return g;
  }, xs);
}

Tensor hessian(const TensorFunction& fn, const Tensor& x) {
  return hessian([&fn](const variable_list& v) { return fn(v[0]); }, variable_list{x})[0][0];
}

}  // namespace functional
}  // namespace tg::autograd
