#pragma once
// How an op records itself: a node whose backward formula is a lambda declared
// next to the op's forward (DESIGN.md "Ops: one place each"). Typical use:
//
//   Tensor out = <forward kernel>;
//   if (autograd::needs_record(a, b)) {
//     auto node = autograd::make_node("MulBackward0", [](Node& n, const Tensor& g) -> variable_list {
//       return {n.needs_input_grad(0) ? g * n.saved(1) : Tensor(),
//               n.needs_input_grad(1) ? g * n.saved(0) : Tensor()};
//     }, a, b);
//     node->save(a, false);
//     node->save(b, false);
//     autograd::set_history(out, node);
//   }
//
// Formulas use tensorgrad's differentiable ops, so with create_graph they record
// a graph of their own (higher-order gradients). Saved tensors live in the node,
// so the lambda captures only plain values (scalars, shapes).
#include <type_traits>

#include "autograd/autograd_meta.h"

namespace tg::autograd {

template <class F>
struct OpNode final : Node {
  OpNode(const char* name, F&& fn) : name_(name), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& grads) override {
    if constexpr (std::is_invocable_v<F&, Node&, const Tensor&>) {
      return fn_(*this, grads[0]);
    } else {
      return fn_(*this, grads);
    }
  }

 private:
  const char* name_;
  F fn_;
};

template <class F, class... Ts>
intrusive_ptr<OpNode<std::decay_t<F>>> make_node(const char* name, F&& fn, const Ts&... inputs) {
  auto node = make_intrusive<OpNode<std::decay_t<F>>>(name, std::forward<F>(fn));
  (node->add_next_edge(inputs), ...);
  return node;
}

// The same for a list of inputs (cat, stack).
template <class F>
intrusive_ptr<OpNode<std::decay_t<F>>> make_node_list(const char* name, F&& fn, TensorList inputs) {
  auto node = make_intrusive<OpNode<std::decay_t<F>>>(name, std::forward<F>(fn));
  for (const Tensor& t : inputs) node->add_next_edge(t);
  return node;
}

}  // namespace tg::autograd
