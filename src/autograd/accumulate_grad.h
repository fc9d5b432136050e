#pragma once
#include "autograd/autograd_meta.h"

namespace tg::autograd {

// The node at a leaf: adds the incoming gradient into the leaf's .grad().
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(Tensor leaf);
  ~AccumulateGrad() override;
  std::string name() const override { return "AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;
  bool is_accumulate_grad() const override { return true; }
  // Runs the leaf's hooks on a gradient (also used when autograd::grad captures it).
  static Tensor call_leaf_hooks(const Tensor& leaf, Tensor grad);

  Tensor variable;
};

}  // namespace tg::autograd
